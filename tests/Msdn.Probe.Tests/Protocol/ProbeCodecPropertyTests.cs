using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Msdn.Graph.Topology;
using Msdn.Probe.Protocol;

namespace Msdn.Probe.Tests.Protocol;

public sealed class ProbeCodecPropertyTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    public static Arbitrary<ProbePacket> Packets() =>
        (from kind in Gen.Elements(ProbeKind.Request, ProbeKind.Reply)
         from roomLength in Gen.Choose(1, RoomId.MaxLength)
         from roomChars in Gen.ArrayOf(Gen.Elements("abcxyzABC0189._:-".ToCharArray()), roomLength)
         from session in ArbMap.Default.GeneratorFor<uint>()
         from sequence in ArbMap.Default.GeneratorFor<ulong>()
         from sentAt in ArbMap.Default.GeneratorFor<long>()
         from received in ArbMap.Default.GeneratorFor<uint>()
         select new ProbePacket(kind, new RoomId(new string(roomChars)), session, sequence, sentAt, received))
        .ToArbitrary();

    [Property(Arbitrary = [typeof(ProbeCodecPropertyTests)], MaxTest = 500)]
    public bool Round_trips(ProbePacket packet)
    {
        var buffer = new byte[ProbeCodec.MaxLength];
        var length = ProbeCodec.Encode(packet, Key, buffer);
        return ProbeCodec.TryDecode(buffer.AsSpan(0, length), Key, out var decoded) == ProbeRejection.None && decoded == packet;
    }

    [Property(Arbitrary = [typeof(ProbeCodecPropertyTests)], MaxTest = 500)]
    public bool Any_flipped_bit_is_rejected(ProbePacket packet, int position, byte flip)
    {
        var buffer = new byte[ProbeCodec.MaxLength];
        var length = ProbeCodec.Encode(packet, Key, buffer);
        var tampered = buffer[..length];
        tampered[Math.Abs(position % length)] ^= (byte)(flip | 1);
        return ProbeCodec.TryDecode(tampered, Key, out _) != ProbeRejection.None;
    }

    [Property(Arbitrary = [typeof(ProbeCodecPropertyTests)], MaxTest = 300)]
    public bool Another_key_is_a_bad_mac(ProbePacket packet)
    {
        var buffer = new byte[ProbeCodec.MaxLength];
        var length = ProbeCodec.Encode(packet, Key, buffer);
        var otherKey = Key.Select(b => (byte)(b + 1)).ToArray();
        return ProbeCodec.TryDecode(buffer.AsSpan(0, length), otherKey, out _) == ProbeRejection.BadMac;
    }

    [Property(MaxTest = 1000)]
    public bool Random_bytes_are_rejected_without_throwing(byte[] bytes) =>
        ProbeCodec.TryDecode(bytes, Key, out _) != ProbeRejection.None;

    [Fact]
    public void Truncated_datagrams_are_rejected()
    {
        var buffer = new byte[ProbeCodec.MaxLength];
        var length = ProbeCodec.Encode(new ProbePacket(ProbeKind.Request, "room-a", 1, 7, 123, 0), Key, buffer);
        for (var cut = 0; cut < length; cut++)
        {
            Assert.NotEqual(ProbeRejection.None, ProbeCodec.TryDecode(buffer.AsSpan(0, cut), Key, out _));
        }
    }
}
