using System.Net;
using Msdn.Client.Framing;
using Msdn.Graph.Topology;

namespace Msdn.Client;

/// <summary>What a flow says to a relay of its room to be taken (opened, or resumed): its token, destination, endpoint.</summary>
internal sealed class FlowIntroduction(IReadOnlyList<EndPoint> relays, string token, RoomId destination, string endpoint)
{
    /// <summary>The clock of the flow's patience when it resumes.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The relays of the room the flow may write through.</summary>
    public IReadOnlyList<EndPoint> Relays { get; } = relays.Count > 0 ? relays : throw new ArgumentException("A flow needs at least one relay to write through.", nameof(relays));

    /// <summary>Opens the flow at the first relay that takes it (a relay that cannot be reached, or drains, passes it to the next).</summary>
    public async Task<ClientFlow> OpenAsync(CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var relay in Relays)
        {
            try
            {
                var (connection, accepted) = await RelayClient.IntroduceAsync(relay, new ClientHello(token, ClientOperation.Open, destination.Value, endpoint), keepAlive: true, cancellationToken).ConfigureAwait(false);
                if (accepted.Control is not FlowAccepted taken)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw new FrameFormatException($"The relay answered an Open with a {accepted.Kind} frame.");
                }

                return new ClientFlow(this, new RelayConnection(relay, connection), taken.FlowId, taken.Ticket);
            }
            catch (Exception e) when (Relays.Count > 1 && (e is System.Net.Sockets.SocketException or IOException { InnerException: System.Net.Sockets.SocketException } || e is RelayClientException { Reason: var reason } && reason.StartsWith("draining", StringComparison.Ordinal)))
            {
                last = e;
            }
        }

        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(last!);
        throw last!;
    }

    /// <summary>Resumes flow <paramref name="id"/> at <paramref name="relay"/> from chunk <paramref name="from"/>.</summary>
    public async Task<RelayConnection> ResumeAsync(EndPoint relay, ulong id, string ticket, ulong from, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(TimeSpan.FromSeconds(2)); // a relay that takes no connection now is passed over for the next
        FrameStream frames;
        Frame accepted;
        try
        {
            (frames, accepted) = await RelayClient.IntroduceAsync(relay, new ClientHello(token, ClientOperation.Resume, destination.Value, endpoint, id, from, ticket), keepAlive: true, patience.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The relay at {relay} did not answer within 2 s.");
        }

        if (accepted.Control is not FlowAccepted taken || taken.FlowId != id)
        {
            await frames.DisposeAsync().ConfigureAwait(false);
            throw new FrameFormatException($"The relay answered a Resume with a {accepted.Kind} frame.");
        }

        return new RelayConnection(relay, frames);
    }
}
