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
using Msdn.Router.Rooms;
using Msdn.Tokens;

namespace Msdn.Fuzz;

/// <summary>
/// Valid inputs for every target, made with the product's own encoders (<c>Msdn.Fuzz seed &lt;dir&gt;</c>):
/// afl-fuzz mutates from these, so it starts past the first checks of each decoder.
/// </summary>
public static class CorpusSeeds
{
    public static void Write(string root, string scenarios)
    {
        void Save(string target, string name, byte[] bytes)
        {
            Directory.CreateDirectory(Path.Combine(root, target));
            File.WriteAllBytes(Path.Combine(root, target, name), bytes);
        }

        Save("frames", "flow", Frames(
            Frame.Open(new OpenFlow(7, "room-a", "room-c", "mixer", ["room-a", "room-b", "room-c"], 0)),
            Frame.Data(7, 0, new ReadOnlySequence<byte>("hello"u8.ToArray())),
            Frame.Data(7, 1, new ReadOnlySequence<byte>(new byte[300]), ackNow: true),
            Frame.Ack(7, 2),
            Frame.AckHold(7, 3),
            Frame.Close(new CloseFlow(7, "complete", CutOff: true))));
        Save("hello", "open", Frames(Frame.Hello(new ClientHello("token", ClientOperation.Open, "room-c", "mixer")), Frame.Data(1, 0, new ReadOnlySequence<byte>("x"u8.ToArray()))));
        Save("hello", "subscribe", Frames(Frame.Hello(new ClientHello("token", ClientOperation.Subscribe, string.Empty, "mixer"))));

        var datagram = new byte[ProbeCodec.MaxLength];
        var length = ProbeCodec.Encode(new ProbePacket(ProbeKind.Request, "room-b", 3, 41, 1_000_000, 40), FuzzTargets.Key, datagram);
        Save("probe", "request", datagram[..length]);

        var report = new RoomReport
        {
            RelayEndpoint = "10.0.0.2:7000",
            ClientEndpoint = "10.0.0.2:7100",
            Links = [new LinkEstimate { Peer = "room-b", RttMs = 12.5, JitterMs = 1, Loss = 0.01 }, new LinkEstimate { Peer = "room-c", RttMs = 80, Up = false }],
        };
        Save("report-msgpack", "report", MessagePackSerializer.Serialize(report));
        Save("report-json", "report", JsonSerializer.SerializeToUtf8Bytes(report, RouterJsonContext.Default.RoomReport));

        Save("route-table", "three-rooms", RouteTableCodec.Encode(FuzzTargets.BaseTable));
        var moved = new RouteComputer(new CostModel(CostModelOptions.LatencyOnly), new HysteresisOptions())
            .ComputeKeepingUnchangedRoutes(TopologySnapshot.Create(["room-a", "room-b", "room-c"], [new Link("room-a", "room-b", LinkQuality.FromRtt(10)), new Link("room-a", "room-c", LinkQuality.FromRtt(5))]), FuzzTargets.BaseTable);
        Save("route-diff", "from-base", RouteTableCodec.EncodeDiff(RouteTableDiff.Between(FuzzTargets.BaseTable, moved)));

        var claims = new MediaTokenClaims("engine-1", "room-a", ["room-c/*"], ["mixer"], FuzzTargets.Clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds());
        Save("media-token", "valid", Encoding.UTF8.GetBytes(new MediaTokens(FuzzTargets.Key, FuzzTargets.Clock).Issue(claims)));

        foreach (var file in new[] { "quickstart.json", "partition.json" })
        {
            Save("scenario", Path.GetFileNameWithoutExtension(file), File.ReadAllBytes(Path.Combine(scenarios, file)));
        }
    }

    private static byte[] Frames(params Frame[] frames)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var frame in frames)
        {
            FrameCodec.Write(writer, frame);
        }

        return writer.WrittenSpan.ToArray();
    }
}
