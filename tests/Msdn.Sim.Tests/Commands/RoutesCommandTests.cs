using System.CommandLine;
using System.Globalization;
using Msdn.Sim.Tests.Support;
using QuikGraph;
using QuikGraph.Algorithms.ShortestPath;

namespace Msdn.Sim.Tests.Commands;

/// <summary>The routes command on the real WonderProxy matrix, checked against an independent computation.</summary>
public sealed class RoutesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("routes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void Latency_only_costs_equal_an_independent_shortest_path_computation()
    {
        var data = SharedData.WonderProxyDirectory();
        Skip.If(data is null, SharedData.MissingReason);
        var csv = Path.Combine(_dir, "routes.csv");
        var (code, stdout, stderr) = Invoke("routes", "--wonderproxy", data!, "--latency-only", "--out", csv);
        Assert.True(code == 0, stderr);
        Assert.Contains("rooms", stdout, StringComparison.Ordinal);

        // Independent: parse the raw files here and run QuikGraph's Dijkstra in doubles.
        var servers = File.ReadLines(Path.Combine(data!, "servers-2020-07-19.csv")).Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        var rtt = new Dictionary<(string, string), double>();
        foreach (var line in File.ReadLines(Path.Combine(data!, "pings-2020-07-19-2020-07-20-grouped.csv")).Skip(1))
        {
            var f = line.Split(',');
            if (f[0] != f[1] && servers.Contains(f[0]) && servers.Contains(f[1]))
            {
                rtt[(f[0], f[1])] = double.Parse(f[3], CultureInfo.InvariantCulture);
            }
        }

        var graph = new AdjacencyGraph<string, Edge<string>>();
        foreach (var (from, to) in rtt.Keys)
        {
            graph.AddVerticesAndEdge(new Edge<string>(from, to));
        }

        var rows = File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(graph.VertexCount * (graph.VertexCount - 1), rows.Count);
        foreach (var source in rows.GroupBy(r => r[0]))
        {
            var dijkstra = new DijkstraShortestPathAlgorithm<string, Edge<string>>(graph, e => rtt[(e.Source, e.Target)]);
            dijkstra.Compute(source.Key);
            foreach (var row in source)
            {
                Assert.True(dijkstra.TryGetDistance(row[1], out var expected));
                var cost = double.Parse(row[3], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(expected - cost) <= 0.01, $"{row[0]}->{row[1]}: {cost} vs independent {expected}");

                // The path is real and costs what it says; the backup shares no link with it.
                var path = row[4].Split('>');
                Assert.Equal(row[0], path[0]);
                Assert.Equal(row[1], path[^1]);
                Assert.True(Math.Abs(Enumerable.Range(0, path.Length - 1).Sum(i => rtt[(path[i], path[i + 1])]) - cost) <= 0.01);
                if (row[5].Length > 0)
                {
                    var backup = row[5].Split('>');
                    var links = Enumerable.Range(0, path.Length - 1).Select(i => (path[i], path[i + 1])).ToHashSet();
                    Assert.DoesNotContain(Enumerable.Range(0, backup.Length - 1).Select(i => (backup[i], backup[i + 1])), links.Contains);
                }

                if (row[2].Length > 0)
                {
                    Assert.True(Math.Abs(rtt[(row[0], row[1])] - double.Parse(row[2], CultureInfo.InvariantCulture)) <= 0.01);
                }
            }
        }
    }

    [Fact]
    public void Missing_data_directory_is_a_clear_error_and_exit_code_2()
    {
        var (code, _, stderr) = Invoke("routes", "--wonderproxy", Path.Combine(_dir, "nope"), "--out", Path.Combine(_dir, "x.csv"));
        Assert.Equal(2, code);
        Assert.Contains("file not found", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_hop_penalty_is_refused_naming_the_option()
    {
        var (code, _, stderr) = Invoke("routes", "--wonderproxy", _dir, "--hop-penalty-ms", "-1", "--out", Path.Combine(_dir, "x.csv"));
        Assert.NotEqual(0, code);
        Assert.Contains("--hop-penalty-ms", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) Invoke(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = SimCli.Create().Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }
}
