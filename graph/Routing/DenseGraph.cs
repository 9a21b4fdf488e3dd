using System.Numerics;
using Msdn.Graph.Costs;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Routing;

/// <summary>
/// The weighted graph as dense matrices of link costs (+infinity where there is no usable link), kept
/// both row-major (links out of a room) and transposed (links into a room) because the route computer
/// sweeps both ways. Rows are padded to a multiple of the SIMD width so inner loops need no scalar tail.
/// Overlay meshes are dense (every room probes every other), so matrices beat adjacency lists here.
/// </summary>
internal sealed class DenseGraph
{
    public DenseGraph(int count)
    {
        Count = count;
        Stride = RoundUp(Math.Max(count, 1), Vector<float>.Count);
        Weights = GC.AllocateUninitializedArray<float>(Count * Stride); // filled next: zeroing first would be wasted (a table makes two of 1 MB at 500 rooms)
        TransposedWeights = GC.AllocateUninitializedArray<float>(Count * Stride);
        Array.Fill(Weights, float.PositiveInfinity);
        Array.Fill(TransposedWeights, float.PositiveInfinity);
    }

    public int Count { get; }

    public int Stride { get; }

    /// <summary>Weights[from * Stride + to]; +infinity for no edge, including the diagonal.</summary>
    public float[] Weights { get; }

    /// <summary>TransposedWeights[to * Stride + from].</summary>
    public float[] TransposedWeights { get; }

    public float this[int from, int to]
    {
        get => Weights[(from * Stride) + to];
        set
        {
            Weights[(from * Stride) + to] = value;
            TransposedWeights[(to * Stride) + from] = value;
        }
    }

    /// <param name="parallelism">Threads it may use: a snapshot holds each link once, so every link writes its own two cells.</param>
    public static DenseGraph From(TopologySnapshot topology, CostModel costs, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(costs);
        var graph = new DenseGraph(topology.RoomCount);
        var indices = topology.LinkIndices;
        var qualities = topology.Qualities;
        Workers.ForRanges(indices.Length, parallelism, (from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                graph[indices[i].From, indices[i].To] = costs.Cost(qualities[i]);
            }
        });

        return graph;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
