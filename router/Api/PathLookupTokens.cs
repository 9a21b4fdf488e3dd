using System.Collections.Concurrent;
using Msdn.Tokens;

namespace Msdn.Router.Api;

/// <summary>
/// Media engines' tokens on path lookups (when <c>Router:MediaTokenKey</c> is set): the token must be valid
/// and name the room the lookup starts from. Tokens already checked are remembered (bounded) until they
/// expire, so a busy engine costs one signature check, not one per lookup.
/// </summary>
public sealed class PathLookupTokens(MediaTokens? tokens, TimeProvider time)
{
    public const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, MediaTokenClaims> _checked = new(StringComparer.Ordinal);

    public bool Required => tokens is not null;

    /// <summary>Null when the token may look up paths from <paramref name="from"/>, else why not.</summary>
    public string? Refusal(string? token, string from)
    {
        if (tokens is null)
        {
            return null;
        }

        if (token is null)
        {
            return "Path lookups need a media token (Authorization: Bearer ...).";
        }

        if (!_checked.TryGetValue(token, out var claims))
        {
            try
            {
                claims = tokens.Validate(token, from);
            }
            catch (MediaTokenException e)
            {
                return $"token {e.Error}: {e.Message}";
            }

            if (_checked.Count >= MaxRemembered)
            {
                _checked.Clear();
            }

            _checked[token] = claims;
        }

        if (time.GetUtcNow() >= DateTimeOffset.FromUnixTimeSeconds(claims.ExpiresUnixSeconds))
        {
            _checked.TryRemove(token, out _);
            return "token Expired: the token has expired.";
        }

        return claims.Room == from ? null : $"token WrongRoom: the token is for room '{claims.Room}', the lookup starts from '{from}'.";
    }
}
