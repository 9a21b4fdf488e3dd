using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Msdn.Tokens;

namespace Msdn.Overlay.Tests.Tokens;

public sealed class MediaTokenTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 3))];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_valid_token_yields_its_claims()
    {
        var tokens = new MediaTokens(Key, _clock);
        var claims = Claims(expiresIn: TimeSpan.FromMinutes(10));
        var validated = tokens.Validate(tokens.Issue(claims), "room-a");
        Assert.Equal(claims.Subject, validated.Subject);
        Assert.True(validated.AllowsOpen("room-b", "camera-1"));
        Assert.True(validated.AllowsOpen("room-c", "anything"));
        Assert.False(validated.AllowsOpen("room-d", "camera-1"));
        Assert.True(validated.AllowsSubscribe("mixer"));
        Assert.False(validated.AllowsSubscribe("other"));
        var error = Assert.Throws<MediaTokenException>(() => MediaTokens.DemandOpen(validated, "room-d", "x"));
        Assert.Equal(MediaTokenError.NotAllowed, error.Error);
    }

    [Fact]
    public void Expired_tokens_are_refused_saying_when()
    {
        var tokens = new MediaTokens(Key, _clock);
        var token = tokens.Issue(Claims(expiresIn: TimeSpan.FromMinutes(10)));
        _clock.Advance(TimeSpan.FromMinutes(10));
        var error = Assert.Throws<MediaTokenException>(() => tokens.Validate(token, "room-a"));
        Assert.Equal(MediaTokenError.Expired, error.Error);
        Assert.Contains("12:10:00", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokens_for_another_room_or_key_are_refused()
    {
        var tokens = new MediaTokens(Key, _clock);
        var token = tokens.Issue(Claims(TimeSpan.FromMinutes(1)));
        Assert.Equal(MediaTokenError.WrongRoom, Assert.Throws<MediaTokenException>(() => tokens.Validate(token, "room-z")).Error);
        var other = new MediaTokens([.. Key.Select(b => (byte)~b)], _clock);
        Assert.Equal(MediaTokenError.BadSignature, Assert.Throws<MediaTokenException>(() => other.Validate(token, "room-a")).Error);
    }

    [Property(MaxTest = 300)]
    public bool Altered_tokens_are_refused(PositiveInt position, char replacement)
    {
        var tokens = new MediaTokens(Key, _clock);
        var token = tokens.Issue(Claims(TimeSpan.FromMinutes(1))).ToCharArray();
        var at = position.Get % token.Length;
        if (token[at] == replacement)
        {
            return true;
        }

        token[at] = replacement;
        try
        {
            tokens.Validate(new string(token), "room-a");
            return false;
        }
        catch (MediaTokenException)
        {
            return true;
        }
    }

    [Property(MaxTest = 500)]
    public bool Arbitrary_strings_fail_only_with_the_typed_error(string? text)
    {
        try
        {
            new MediaTokens(Key, _clock).Validate(text, "room-a");
            return false;
        }
        catch (MediaTokenException)
        {
            return true;
        }
    }

    private MediaTokenClaims Claims(TimeSpan expiresIn) =>
        new("engine-7", "room-a", ["room-b/camera-1", "room-c/*"], ["mixer"], (_clock.GetUtcNow() + expiresIn).ToUnixTimeSeconds());
}
