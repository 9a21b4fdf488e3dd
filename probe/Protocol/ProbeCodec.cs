using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Msdn.Graph.Topology;

namespace Msdn.Probe.Protocol;

/// <summary>
/// The probe wire format, version 1, a fixed little-endian layout:
/// <c>magic 'M' | version | kind | room length | room (ASCII) | session u32 | sequence u64 |
/// sent-at i64 (µs) | requests-received u32 | MAC (16 bytes)</c>. The MAC is HMAC-SHA256 under the cluster key over
/// everything before it, truncated to 128 bits: a datagram without the key is rejected, not measured.
/// Decoding never allocates and never throws on hostile input: it returns a <see cref="ProbeRejection"/>.
/// </summary>
public static class ProbeCodec
{
    public const byte Magic = (byte)'M';
    public const byte Version = 1;
    public const int MacLength = 16;
    public const int MinimumKeyLength = 16;

    private const int FixedHeader = 4;
    private const int Body = 4 + 8 + 8 + 4;

    /// <summary>The largest datagram: a 64-character room id.</summary>
    public const int MaxLength = FixedHeader + RoomId.MaxLength + Body + MacLength;

    public static int Encode(in ProbePacket packet, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var room = packet.Sender.Value ?? throw new ArgumentException("The packet has no sender.", nameof(packet));
        var length = FixedHeader + room.Length + Body + MacLength;
        if (destination.Length < length)
        {
            throw new ArgumentException($"Need {length} bytes, got {destination.Length}.", nameof(destination));
        }

        destination[0] = Magic;
        destination[1] = Version;
        destination[2] = (byte)packet.Kind;
        destination[3] = (byte)room.Length;
        Encoding.ASCII.GetBytes(room, destination[FixedHeader..]);
        var at = FixedHeader + room.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], packet.Session);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[(at + 4)..], packet.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[(at + 12)..], packet.SentAt);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(at + 20)..], packet.RequestsReceived);
        var signed = at + Body;
        Sign(key, destination[..signed], destination.Slice(signed, MacLength));
        return length;
    }

    public static ProbeRejection TryDecode(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, out ProbePacket packet)
    {
        packet = default;
        if (datagram.Length < FixedHeader + 1 + Body + MacLength)
        {
            return ProbeRejection.TooShort;
        }

        if (datagram.Length > MaxLength)
        {
            return ProbeRejection.TooLong;
        }

        if (datagram[0] != Magic)
        {
            return ProbeRejection.BadMagic;
        }

        if (datagram[1] != Version)
        {
            return ProbeRejection.UnsupportedVersion;
        }

        var kind = (ProbeKind)datagram[2];
        if (kind is not (ProbeKind.Request or ProbeKind.Reply))
        {
            return ProbeRejection.BadKind;
        }

        int roomLength = datagram[3];
        if (roomLength is 0 or > RoomId.MaxLength || datagram.Length != FixedHeader + roomLength + Body + MacLength)
        {
            return ProbeRejection.BadRoomId;
        }

        // Authenticate before believing anything else in the datagram.
        var signed = FixedHeader + roomLength + Body;
        Span<byte> mac = stackalloc byte[MacLength];
        Sign(key, datagram[..signed], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, datagram.Slice(signed, MacLength)))
        {
            return ProbeRejection.BadMac;
        }

        var room = Encoding.ASCII.GetString(datagram.Slice(FixedHeader, roomLength));
        if (!RoomId.IsValid(room))
        {
            return ProbeRejection.BadRoomId;
        }

        var at = FixedHeader + roomLength;
        packet = new ProbePacket(
            kind,
            new RoomId(room),
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[at..]),
            BinaryPrimitives.ReadUInt64LittleEndian(datagram[(at + 4)..]),
            BinaryPrimitives.ReadInt64LittleEndian(datagram[(at + 12)..]),
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[(at + 20)..]));
        return ProbeRejection.None;
    }

    private static void Sign(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, data, full);
        full[..MacLength].CopyTo(mac);
    }
}
