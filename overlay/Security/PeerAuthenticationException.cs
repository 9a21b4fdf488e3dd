namespace Msdn.Overlay.Security;

/// <summary>A peer relay whose certificate is unknown, expired or otherwise refused; nothing it sends is forwarded.</summary>
internal sealed class PeerAuthenticationException(string message) : Exception(message);
