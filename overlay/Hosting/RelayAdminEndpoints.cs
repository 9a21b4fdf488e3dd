using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Msdn.Graph.Topology;
using Msdn.Probe.Transport;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The relay's HTTP admin surface (bind it to a private address): health, the drain lifecycle, and link
/// impairment for drills. Metrics are scraped from <c>/metrics</c> next to it.
/// </summary>
internal static class RelayAdminEndpoints
{
    public static WebApplication MapRelayAdmin(this WebApplication app, AdminGuard guard)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(guard);
        app.Use(async (context, next) =>
        {
            if (guard.Refusal(context.Request) is var (status, reason))
            {
                await Results.Problem(reason, statusCode: status).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
        app.MapGet("/health", (RelayRuntime relay) => relay.Node is null
            ? Results.Problem("The relay is not running.", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Ok(Health(relay)));

        // The flows this relay carries as their ingress: where each runs now.
        app.MapGet("/admin/flows", (RelayRuntime relay) => WithNode(relay, node => Results.Ok(node.IngressFlows
            .Select(f => new FlowStatus(f.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), f.Destination.Value, f.Endpoint, [.. f.CurrentPath.Select(r => r.Value)], f.Failovers))
            .OrderBy(f => f.Id, StringComparer.Ordinal))));

        // Drain: no new flows; with move (the default) transit flows fail over off this relay now.
        app.MapPost("/admin/drain", (RelayRuntime relay, bool? move) => WithNode(relay, node =>
        {
            node.Drain(move ?? true);
            return Results.Ok(Health(relay));
        }));
        app.MapPost("/admin/serve", (RelayRuntime relay) => WithNode(relay, node =>
        {
            node.CancelDrain();
            return Results.Ok(Health(relay));
        }));

        // Impair the link to a peer room (relay streams and probes): cut, delay, jitter, loss.
        app.MapPut("/admin/links/{peer}", (RelayRuntime relay, string peer, LinkImpairmentRequest request) => Impair(relay, peer, request.ToImpairment()));
        app.MapDelete("/admin/links/{peer}", (RelayRuntime relay, string peer) => Impair(relay, peer, LinkImpairment.None));
        return app;
    }

    private static IResult Impair(RelayRuntime relay, string peer, LinkImpairment? impairment)
    {
        if (impairment is null)
        {
            return Results.Problem("delayMs and jitterMs must be 0 or more, loss within 0..1 and meanBurst at least 1.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (!RoomId.IsValid(peer))
        {
            return Results.Problem($"'{peer}' is not a room id.", statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            relay.Impair(new RoomId(peer), impairment);
            return Results.Ok(new { peer, impairment = impairment.ToString() });
        }
        catch (UnknownRoomException e)
        {
            return Results.Problem(e.Message + " (not one of this relay's peers)", statusCode: StatusCodes.Status404NotFound);
        }
    }

    private static IResult WithNode(RelayRuntime relay, Func<Relay.RelayNode, IResult> act) =>
        relay.Node is { } node ? act(node) : Results.Problem("The relay is not running.", statusCode: StatusCodes.Status503ServiceUnavailable);

    private static RelayHealth Health(RelayRuntime relay) => new(
        relay.Node!.Room.Value,
        relay.Node.State.ToString(),
        relay.Node.ActiveFlows,
        relay.Routes?.Current.Version ?? 0,
        relay.Node.LocalEndPoint.ToString() ?? string.Empty,
        relay.Clients?.LocalEndPoint.ToString(),
        relay.Probe is not null,
        relay.Controller?.Status.Via ?? "none",
        relay.Controller?.Status.LastContact,
        relay.Transport ?? string.Empty,
        relay.Probe?.LocalEndPoint.ToString(),
        relay.PeersRefused,
        relay.Node.RefusedPeers.ToDictionary(p => p.Key.Value, p => p.Value),
        relay.Controller?.Status is { Reachable: false } status ? status.LastError : null,
        NotAccepting(relay),
        relay.KnownPeers,
        relay.Load?.Now());

    /// <summary>The relay's ports that cannot accept connections now, with why.</summary>
    private static Dictionary<string, string> NotAccepting(RelayRuntime relay)
    {
        var failing = new Dictionary<string, string>();
        if (relay.Node?.PeerPortNotAccepting is { } peers)
        {
            failing["peers"] = peers;
        }

        if (relay.Clients?.Health.Failing is { } clients)
        {
            failing["clients"] = clients;
        }

        if (relay.Gateway?.Health.Failing is { } gateway)
        {
            failing["gateway"] = gateway;
        }

        return failing;
    }
}

/// <summary>One flow in <c>GET /admin/flows</c> (the id as a string: JSON numbers lose 64-bit precision).</summary>
public sealed record FlowStatus(string Id, string Destination, string Endpoint, IReadOnlyList<string> Path, int Failovers);

/// <summary>What <c>GET /health</c> answers.</summary>
/// <remarks><see cref="Controller"/>: direct, via a peer room, unreachable (forwarding on the last table), or none configured.</remarks>
/// <remarks><see cref="NotAccepting"/>: the relay's ports (peers, clients, gateway) that cannot accept connections now, with why (descriptors exhausted, ...); empty while all accept.</remarks>
/// <remarks><see cref="Transport"/>: quic or tcp+tls; <see cref="ProbeListen"/>: the probe agent's UDP endpoint (null without probing); <see cref="PeersRefused"/>: connections this relay refused at the handshake; <see cref="RefusedBy"/>: peers whose relay refuses this relay's data connection, with why (those links are reported down); <see cref="ControllerError"/>: why the controller is unreachable (a rejected credential says so); <see cref="KnownPeers"/>: peers known, configured or from the controller's directory.</remarks>
public sealed record RelayHealth(string Room, string State, int ActiveFlows, long RouteTableVersion, string Listen, string? ClientListen, bool Probing, string Controller, DateTimeOffset? ControllerLastContact, string Transport, string? ProbeListen, long PeersRefused, IReadOnlyDictionary<string, string> RefusedBy, string? ControllerError, IReadOnlyDictionary<string, string> NotAccepting, int KnownPeers, Load.RelayLoad? Load = null);

/// <summary>The body of <c>PUT /admin/links/{peer}</c>.</summary>
/// <remarks><see cref="MeanBurst"/> above 1: losses come in bursts of that many probes on average (Gilbert–Elliott).</remarks>
internal sealed record LinkImpairmentRequest(bool Cut = false, double DelayMs = 0, double JitterMs = 0, double Loss = 0, double MeanBurst = 1)
{
    public LinkImpairment? ToImpairment() =>
        DelayMs < 0 || JitterMs < 0 || Loss is < 0 or > 1 || MeanBurst < 1 || double.IsNaN(DelayMs + JitterMs + Loss + MeanBurst)
            ? null
            : new LinkImpairment(TimeSpan.FromMilliseconds(DelayMs), TimeSpan.FromMilliseconds(JitterMs), Loss, Cut, MeanBurst);
}
