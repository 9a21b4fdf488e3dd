using Msdn.Graph.Topology;
using Msdn.Router.Rooms;

namespace Msdn.Router.Api;

/// <summary>Checks a relay's report before anything of it is kept; every problem is named with its field.</summary>
public static class ReportValidator
{
    public const int MaxLinks = 10_000;

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

        if (report.RelayState is not ("Serving" or "Draining" or "Drained"))
        {
            problems.Add($"relayState must be Serving, Draining or Drained, got '{report.RelayState}'");
        }

        if (report.Links is null || report.Links.Count > MaxLinks)
        {
            problems.Add($"links must be a list of at most {MaxLinks}");
            return problems;
        }

        for (var i = 0; i < report.Links.Count; i++)
        {
            var link = report.Links[i];
            if (link is null || !RoomId.IsValid(link.Peer) || link.Peer == room)
            {
                problems.Add($"links[{i}].peer must be another room's id");
            }
            else if (!(double.IsFinite(link.RttMs) && link.RttMs >= 0) || !(double.IsFinite(link.JitterMs) && link.JitterMs >= 0) || link.Loss is not (>= 0 and <= 1))
            {
                problems.Add($"links[{i}] needs rttMs ≥ 0, jitterMs ≥ 0 and loss in [0, 1]");
            }
        }

        return problems;
    }
}
