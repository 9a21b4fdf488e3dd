namespace Msdn.Tests.Common;

/// <summary>Whether this machine runs QUIC (System.Net.Quic needs libmsquic), and what a skipped test says when it does not.</summary>
internal static class QuicSupport
{
    public const string Missing =
        "QUIC is not supported on this machine: System.Net.Quic needs libmsquic (install it from Microsoft's package repository, " +
        "or put ../shared/native/libmsquic on LD_LIBRARY_PATH as .ci/run does); the TCP + TLS runs still cover the relay.";

    public static bool IsAvailable => Msdn.Overlay.Transport.QuicAvailability.IsSupported;
}
