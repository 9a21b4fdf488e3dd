using System.Numerics;
using Msdn.Graph.Costs;
using Msdn.Graph.Topology;

namespace Msdn.Graph.Routing;

/// <summary>
/// The weighted graph as a dense row-major matrix of link costs (+infinity where there is no usable link).
/// Rows are padded to a multiple of the SIMD width so inner loops never need a scalar tail.
/// Overlay meshes are dense (every room probes every other), so a matrix beats adjacency lists here.
/// </summary>
internal sealed class DenseGraph
{
    public DenseGraph(int count)
    {
        Count = count;
        Stride = RoundUp(Math.Max(count, 1), Vector<float>.Count);
        Weights = new float[Count * Stride];
        Array.Fill(Weights, float.PositiveInfinity);
    }

    public int Count { get; }

    public int Stride { get; }

    /// <summary>Weights[from * Stride + to]; +infinity for no edge, including the diagonal.</summary>
    public float[] Weights { get; }

    public float this[int from, int to]
    {
        get => Weights[(from * Stride) + to];
        set => Weights[(from * Stride) + to] = value;
    }

    public static DenseGraph From(TopologySnapshot topology, CostModel costs)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(costs);
        var graph = new DenseGraph(topology.RoomCount);
        foreach (var link in topology.Links)
        {
            graph[topology.IndexOf(link.From), topology.IndexOf(link.To)] = costs.Cost(link.Quality);
        }

        return graph;
    }

    public DenseGraph Clone()
    {
        var copy = new DenseGraph(Count);
        Weights.CopyTo(copy.Weights, 0);
        return copy;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
