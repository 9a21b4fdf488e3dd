using System.Net.Quic;
using System.Runtime.Versioning;

namespace Msdn.Overlay.Transport;

/// <summary>Whether this machine runs the QUIC transport: one of System.Net.Quic's platforms, with libmsquic loaded.</summary>
public static class QuicAvailability
{
    /// <summary>An operating system System.Net.Quic supports at all (guards its platform-specific calls).</summary>
    [SupportedOSPlatformGuard("linux")]
    [SupportedOSPlatformGuard("windows")]
    [SupportedOSPlatformGuard("macos")]
    public static bool IsPlatform => OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();

    /// <summary>QUIC works here: the platform, and libmsquic found (on Linux: installed, or on <c>LD_LIBRARY_PATH</c>).</summary>
    [SupportedOSPlatformGuard("linux")]
    [SupportedOSPlatformGuard("windows")]
    [SupportedOSPlatformGuard("macos")]
    public static bool IsSupported => IsPlatform && QuicConnection.IsSupported && QuicListener.IsSupported;
}
