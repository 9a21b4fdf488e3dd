using System.Net;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Msdn.Router.Api;

namespace Msdn.Router.Tests.Api;

/// <summary>The hand-written path lookup limit against the fixed-window model: in each second, the first N are admitted.</summary>
public sealed class PathLookupLimitTests
{
    [Property(MaxTest = 200)]
    public bool Admits_the_first_n_of_each_second(byte limit, byte[] requestsPerWindow)
    {
        var perSecond = (limit % 20) + 1;
        var clock = new FakeTimeProvider();
        var mine = new PathLookupLimit(perSecond, clock);
        foreach (var requests in requestsPerWindow)
        {
            for (var i = 0; i < requests % 40; i++)
            {
                if (mine.TryAcquire(IPAddress.Loopback) != (i < perSecond))
                {
                    return false;
                }
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        return true;
    }

    [Fact]
    public void Each_address_has_its_own_window()
    {
        var clock = new FakeTimeProvider();
        var limit = new PathLookupLimit(2, clock);
        Assert.True(limit.TryAcquire(IPAddress.Loopback));
        Assert.True(limit.TryAcquire(IPAddress.Loopback));
        Assert.False(limit.TryAcquire(IPAddress.Loopback));
        Assert.True(limit.TryAcquire(IPAddress.IPv6Loopback));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limit.TryAcquire(IPAddress.Loopback));
    }
}
