using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Msdn.Tokens;

namespace Msdn.Router.Tests.Api;

/// <summary>With a media token key configured, path lookups need a token for the room they start from.</summary>
public sealed class PathLookupTokenTests
{
    [Fact]
    public async Task Lookups_without_a_valid_token_for_their_room_are_refused_saying_why()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        await using var router = await RouterInstance.StartAsync($"--Router:MediaTokenKey={Convert.ToBase64String(key)}");
        await router.ReportAsync("room-a", ("room-b", 10, true));
        await router.ReportAsync("room-b", ("room-a", 10, true));
        var tokens = new MediaTokens(key, TimeProvider.System);
        string Token(string room) => tokens.Issue(new MediaTokenClaims("engine", room, ["*"], [], TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeSeconds()));

        async Task<(HttpStatusCode, string)> LookupAsync(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/paths/room-a/room-b");
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await router.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await LookupAsync(null)).Item1);
        var (status, body) = await LookupAsync(Token("room-b"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("WrongRoom", body, StringComparison.Ordinal);
        Assert.Contains("BadSignature", (await LookupAsync(new MediaTokens(RandomNumberGenerator.GetBytes(32), TimeProvider.System).Issue(new MediaTokenClaims("x", "room-a", [], [], TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeSeconds())))).Item2, StringComparison.Ordinal);

        // A valid token: the answer comes once the table holds both rooms.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        for (var attempt = 0; attempt < 200 && (await LookupAsync(Token("room-a"))).Item1 != HttpStatusCode.OK; attempt++)
        {
            await timer.WaitForNextTickAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await LookupAsync(Token("room-a"))).Item1);
    }
}
