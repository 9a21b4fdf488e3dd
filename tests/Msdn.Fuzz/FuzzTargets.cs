using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;
using Msdn.Client.Framing;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Graph.Tables;
using Msdn.Graph.Topology;
using Msdn.Probe.Protocol;
using Msdn.Router.Api;
using Msdn.Sim.Drills;
using Msdn.Tokens;

namespace Msdn.Fuzz;

/// <summary>
/// One target per decoder that reads bytes from outside. Each feeds the input to the decoder as the product
/// does and lets through only the typed error the product catches for bad input: any other exception (or a
/// hang, or a crash) is a finding.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The key probes and tokens are checked with: fixed, so a corpus input signed with it reaches the parser behind the MAC.</summary>
    public static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    /// <summary>A fixed clock for tokens (their expiry is part of what is parsed).</summary>
    public static readonly TimeProvider Clock = new FixedClock(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The table a fuzzed diff is applied to (three rooms), as a relay holding it would. Built on first use:
    /// instrumented code must not run before SharpFuzz has set up its shared memory (in <c>Fuzzer.OutOfProcess.Run</c>).
    /// </summary>
    public static RouteTable BaseTable => LazyBaseTable.Value;

    private static readonly Lazy<RouteTable> LazyBaseTable = new(() => new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions())
        .Compute(TopologySnapshot.Create(["room-a", "room-b", "room-c"], [new Link("room-a", "room-b", LinkQuality.FromRtt(10)), new Link("room-b", "room-c", LinkQuality.FromRtt(10)), new Link("room-a", "room-c", LinkQuality.FromRtt(30))])));

    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["frames"] = input => Frames(input, FrameLimits.Default),
        ["hello"] = input => Frames(input, FrameLimits.Handshake),
        ["probe"] = Probe,
        ["report-msgpack"] = ReportMessagePack,
        ["report-json"] = ReportJson,
        ["route-table"] = RouteTableFull,
        ["route-diff"] = RouteTableDiff,
        ["media-token"] = MediaToken,
        ["scenario"] = Scenario,
    };

    /// <summary>A peer's or engine's byte stream: every frame in it, as a connection reads them.</summary>
    private static void Frames(byte[] input, FrameLimits limits)
    {
        var buffer = new ReadOnlySequence<byte>(input);
        try
        {
            while (FrameCodec.TryRead(ref buffer, limits, out var frame))
            {
                _ = frame.Kind;
            }
        }
        catch (FrameFormatException)
        {
        }
    }

    private static void Probe(byte[] input) => ProbeCodec.TryDecode(input, Key, out _);

    private static void ReportMessagePack(byte[] input)
    {
        try
        {
            ReportValidator.Problems("room-a", ReportCodec.Decode(input));
        }
        catch (MessagePackSerializationException)
        {
        }
    }

    private static void ReportJson(byte[] input)
    {
        try
        {
            ReportValidator.Problems("room-a", JsonSerializer.Deserialize(input, RouterJsonContext.Default.RoomReport));
        }
        catch (JsonException)
        {
        }
    }

    private static void RouteTableFull(byte[] input)
    {
        try
        {
            _ = RouteTableCodec.Decode(input).Routes().Count();
        }
        catch (RouteTableFormatException)
        {
        }
    }

    private static void RouteTableDiff(byte[] input)
    {
        try
        {
            _ = RouteTableCodec.DecodeDiff(input, BaseTable).ApplyTo(BaseTable).Routes().Count();
        }
        catch (Exception e) when (e is RouteTableFormatException or RouteTableVersionException)
        {
        }
    }

    private static void MediaToken(byte[] input)
    {
        try
        {
            new MediaTokens(Key, Clock).Validate(Encoding.UTF8.GetString(input), "room-a");
        }
        catch (MediaTokenException)
        {
        }
    }

    private static void Scenario(byte[] input)
    {
        try
        {
            ScenarioLoader.Parse(Encoding.UTF8.GetString(input));
        }
        catch (ScenarioException)
        {
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
