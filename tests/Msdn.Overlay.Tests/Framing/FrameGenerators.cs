using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Msdn.Client.Framing;

namespace Msdn.Overlay.Tests.Framing;

/// <summary>FsCheck generators for frames of every kind.</summary>
public static class FrameGenerators
{
    public static Arbitrary<Frame> Frames()
    {
        var text = ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get);
        var u64 = ArbMap.Default.GeneratorFor<ulong>();
        var data = from flow in u64
                   from sequence in u64
                   from payload in ArbMap.Default.GeneratorFor<byte[]>()
                   select Frame.Data(flow, sequence, new ReadOnlySequence<byte>(payload));
        var ack = from flow in u64 from next in u64 select Frame.Ack(flow, next);
        var open = from flow in u64
                   from source in text
                   from destination in text
                   from endpoint in text
                   from path in Gen.ArrayOf(text)
                   from resume in u64
                   from avoid in Gen.OneOf(Gen.Constant<string[]?>(null), Gen.ArrayOf(text).Select(a => (string[]?)a))
                   select Frame.Open(new OpenFlow(flow, source, destination, endpoint, path, resume, avoid));
        var close = from flow in u64
                    from reason in text
                    from unreachable in Gen.OneOf(Gen.Constant<string?>(null), text.Select(t => (string?)t))
                    from node in Gen.OneOf(Gen.Constant<string?>(null), text.Select(t => (string?)t))
                    from flags in Gen.Choose(0, 15)
                    select Frame.Close(new CloseFlow(flow, reason, unreachable, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, node));
        var ping = from nonce in u64 from reply in ArbMap.Default.GeneratorFor<bool>() select Frame.Ping(new Ping(nonce, reply));
        var hello = from token in text
                    from operation in Gen.Elements(ClientOperation.Open, ClientOperation.Subscribe, ClientOperation.Resume)
                    from room in text
                    from endpoint in text
                    from flow in u64
                    from resume in u64
                    from ticket in Gen.OneOf(Gen.Constant<string?>(null), text.Select(t => (string?)t))
                    select Frame.Hello(new ClientHello(token, operation, room, endpoint, flow, resume, ticket));
        var accepted = from flow in u64 from ticket in text select Frame.Accepted(new FlowAccepted(flow, ticket));
        return Gen.OneOf(data, ack, open, close, ping, hello, accepted).ToArbitrary();
    }
}
