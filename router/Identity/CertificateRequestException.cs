namespace Msdn.Router.Identity;

/// <summary>A relay's certificate signing request that the cluster CA will not sign, with why (answered 400).</summary>
public sealed class CertificateRequestException(string message) : Exception(message);
