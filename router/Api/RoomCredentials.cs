using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Msdn.Router.Api;

/// <summary>
/// Per-room credentials for relays: base64url(HMAC-SHA256(key, "room:" + room)). The controller keeps one
/// key; an operator hands each room's relay its own credential, which is worthless for any other room.
/// </summary>
public sealed class RoomCredentials(byte[] key)
{
    public const int MinimumKeyLength = 32;

    public string For(string room) => Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("room:" + room)));

    public bool Verify(string room, string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(For(room));
        var given = Encoding.ASCII.GetBytes(presented);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
