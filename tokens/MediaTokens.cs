using System.Buffers.Text;
using System.Security.Cryptography;
using MessagePack;

namespace Msdn.Tokens;

/// <summary>
/// Signed, expiring tokens for media engines: <c>base64url(MessagePack claims) "." base64url(HMAC-SHA256)</c>
/// under a configured key. The relay checks signature, expiry (on the injected clock) and room before
/// an engine may open or subscribe, and refuses with a <see cref="MediaTokenException"/> that says why.
/// </summary>
public sealed class MediaTokens
{
    public const int MinimumKeyLength = 32;
    public const int MaxTokenLength = 4096;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public MediaTokens(byte[] key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinimumKeyLength)
        {
            throw new ArgumentException($"The media token key needs at least {MinimumKeyLength} bytes.", nameof(key));
        }

        _key = key;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>The clock tokens are checked against (a subscription lasts until its token expires on it).</summary>
    public TimeProvider Time => _time;

    public string Issue(MediaTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var payload = MessagePackSerializer.Serialize(claims, Options);
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(HMACSHA256.HashData(_key, payload))}";
    }

    /// <summary>The token's claims, if it is well formed, authentic, unexpired and for this relay's room.</summary>
    public MediaTokenClaims Validate(string? token, string relayRoom)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            throw new MediaTokenException(MediaTokenError.Malformed, "No token, or a token longer than 4096 characters.");
        }

        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !TryDecode(token.AsSpan(0, dot), out var payload) || !TryDecode(token.AsSpan(dot + 1), out var signature))
        {
            throw new MediaTokenException(MediaTokenError.Malformed, "The token is not two base64url parts joined by '.'.");
        }

        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, payload), signature))
        {
            throw new MediaTokenException(MediaTokenError.BadSignature, "The token's signature does not match: it was not issued with this cluster's key, or it was altered.");
        }

        MediaTokenClaims? claims;
        try
        {
            claims = MessagePackSerializer.Deserialize<MediaTokenClaims>(payload, Options);
        }
        catch (MessagePackSerializationException)
        {
            claims = null;
        }

        if (claims is null || claims.Room is null || claims.MayOpen is null || claims.MaySubscribe is null)
        {
            throw new MediaTokenException(MediaTokenError.Malformed, "The token's claims are unreadable.");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(claims.ExpiresUnixSeconds);
        if (_time.GetUtcNow() >= expires)
        {
            throw new MediaTokenException(MediaTokenError.Expired, $"The token expired at {expires:u}.");
        }

        if (claims.Room != relayRoom)
        {
            throw new MediaTokenException(MediaTokenError.WrongRoom, $"The token is for room '{claims.Room}', this relay serves '{relayRoom}'.");
        }

        return claims;
    }

    /// <summary>Refuses, with <see cref="MediaTokenError.NotAllowed"/>, a flow the token does not allow.</summary>
    public static void DemandOpen(MediaTokenClaims claims, string destinationRoom, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (!claims.AllowsOpen(destinationRoom, endpoint))
        {
            throw new MediaTokenException(MediaTokenError.NotAllowed, $"The token does not allow opening a flow to {destinationRoom}/{endpoint}.");
        }
    }

    /// <summary>
    /// The ticket that lets a media engine resume flow <paramref name="flowId"/> from <paramref name="room"/> at any relay
    /// of that room (they share this cluster's key): a signature over the room, the flow, its destination and endpoint.
    /// </summary>
    public string ResumeTicket(string room, ulong flowId, string destinationRoom, string endpoint) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(_key, ResumeTicketPayload(room, flowId, destinationRoom, endpoint)));

    /// <summary>Refuses, with <see cref="MediaTokenError.NotYourFlow"/>, a resumption whose ticket was not issued for that flow.</summary>
    public void DemandResumeTicket(string? ticket, string room, ulong flowId, string destinationRoom, string endpoint)
    {
        if (string.IsNullOrEmpty(ticket) || ticket.Length > MaxTokenLength || !TryDecode(ticket, out var signature)
            || !CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, ResumeTicketPayload(room, flowId, destinationRoom, endpoint)), signature))
        {
            throw new MediaTokenException(MediaTokenError.NotYourFlow, $"The ticket does not resume flow {flowId} from {room} to {destinationRoom}/{endpoint}: it was issued for another flow, or not by this cluster.");
        }
    }

    private static byte[] ResumeTicketPayload(string room, ulong flowId, string destinationRoom, string endpoint) =>
        System.Text.Encoding.UTF8.GetBytes($"resume\n{room}\n{flowId}\n{destinationRoom}\n{endpoint}");

    private static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        try
        {
            // TryDecodeFromChars still throws FormatException on characters outside the alphabet.
            if (!Base64Url.TryDecodeFromChars(text, bytes, out var written))
            {
                return false;
            }

            bytes = bytes[..written];
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
