using Msdn.Graph.Topology;
using Msdn.Router.Rooms;

namespace Msdn.Router.Api;

/// <summary>Checks a relay's report before anything of it is kept; every problem is named with its field.</summary>
public static class ReportValidator
{
    public const int MaxLinks = 10_000;

    /// <summary>host:port with a DNS name of at most 253 characters, or a bracketed IPv6 address.</summary>
    public const int MaxEndpointLength = 300;

    /// <summary>The largest report body read: a JSON report of <see cref="MaxLinks"/> links fits with room to spare.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    public static IReadOnlyList<string> Problems(string room, RoomReport? report)
    {
        var problems = new List<string>();
        if (report is null)
        {
            return ["the body is not a report"];
        }

        if (string.IsNullOrWhiteSpace(report.RelayEndpoint))
        {
            problems.Add("relayEndpoint is required");
        }
        else if (!IsEndpoint(report.RelayEndpoint))
        {
            problems.Add($"relayEndpoint must be host:port, at most {MaxEndpointLength} characters");
        }

        if (report.ClientEndpoint is not null && !IsEndpoint(report.ClientEndpoint))
        {
            problems.Add($"clientEndpoint must be host:port, at most {MaxEndpointLength} characters");
        }

        if (report.ProbeEndpoint is not null && !IsEndpoint(report.ProbeEndpoint))
        {
            problems.Add($"probeEndpoint must be host:port, at most {MaxEndpointLength} characters");
        }

        if (report.RelayState is not ("Serving" or "Draining" or "Drained"))
        {
            problems.Add($"relayState must be Serving, Draining or Drained, got '{report.RelayState}'");
        }

        if (report.CertificateFingerprint is { } fingerprint && !(fingerprint.Length == 64 && fingerprint.All(char.IsAsciiHexDigit)))
        {
            problems.Add("certificateFingerprint must be a SHA-256 fingerprint (64 hex digits)");
        }

        if (report.Links is null || report.Links.Count > MaxLinks)
        {
            problems.Add($"links must be a list of at most {MaxLinks}");
            return problems;
        }

        if (report.Gone is { } gone && (gone.Count > MaxLinks || gone.Any(peer => peer is null || !RoomId.IsValid(peer))))
        {
            problems.Add($"gone must be a list of at most {MaxLinks} room ids");
        }

        if (report.Gone is { Count: > 0 } && report.Since is null)
        {
            problems.Add("gone needs since: only a report amending another names links gone");
        }

        if (report.Load is { } load)
        {
            LoadProblems(load, problems);
        }

        for (var i = 0; i < report.Links.Count; i++)
        {
            var link = report.Links[i];
            if (link is null || !RoomId.IsValid(link.Peer) || link.Peer == room)
            {
                problems.Add($"links[{i}].peer must be another room's id");
            }
            else if (!(double.IsFinite(link.RttMs) && link.RttMs >= 0) || !(double.IsFinite(link.JitterMs) && link.JitterMs >= 0) || link.Loss is not (>= 0 and <= 1) || link.ForwardLoss is not (null or (>= 0 and <= 1)))
            {
                problems.Add($"links[{i}] needs rttMs ≥ 0, jitterMs ≥ 0, and loss and forwardLoss in [0, 1]");
            }
        }

        return problems;
    }

    /// <summary>The bounds of a load report: beyond them a value is a bug or a lie, not a busy relay.</summary>
    private static void LoadProblems(RelayLoadReport load, List<string> problems)
    {
        void Check(string field, double value, double max)
        {
            if (!(double.IsFinite(value) && value >= 0 && value <= max))
            {
                problems.Add($"load.{field} must be a number in [0, {max:G}], got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }

        Check("flows", load.Flows, 10_000_000);
        Check("bytesInPerSecond", load.BytesInPerSecond, 1e12);
        Check("bytesOutPerSecond", load.BytesOutPerSecond, 1e12);
        Check("unitsInPerSecond", load.UnitsInPerSecond, 1e9);
        Check("unitsOutPerSecond", load.UnitsOutPerSecond, 1e9);
        Check("cpu", load.Cpu, 4096);
        Check("memoryBytes", load.MemoryBytes, 1L << 46);
        Check("utilization", load.Utilization, 100);
    }

    /// <summary>Shape only (what is served back to anyone by <c>/v1/rooms</c> and path answers): the relay resolves it.</summary>
    private static bool IsEndpoint(string value)
    {
        var colon = value.LastIndexOf(':');
        return value.Length <= MaxEndpointLength
            && colon > 0
            && ushort.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port > 0
            && value.AsSpan(0, colon).IndexOfAnyExcept(EndpointHostCharacters) < 0;
    }

    private static readonly System.Buffers.SearchValues<char> EndpointHostCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]%");
}
