namespace Msdn.Overlay.Transport.Mux;

/// <summary>How often a multiplexed connection pings its peer, and how long a silent peer is given before the connection counts as lost.</summary>
internal sealed record MuxKeepAlive(TimeSpan Interval, TimeSpan IdleTimeout, TimeProvider Time)
{
    public static readonly MuxKeepAlive Default = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6), TimeProvider.System);

    public static MuxKeepAlive From(RelayTransportOptions options) => new(options.KeepAliveInterval, options.IdleTimeout, TimeProvider.System);
}
