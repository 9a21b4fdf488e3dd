using System.Security.Cryptography.X509Certificates;

namespace Msdn.Tokens;

/// <summary>
/// How a relay certificate names its room: the subject <c>CN=msdn-relay-&lt;room&gt;</c>. The controller's
/// cluster CA writes it when it signs a relay's request, and peers read it back to check that the room is
/// still in the directory (removing a room revokes its certificates).
/// </summary>
public static class RelayCertificateNames
{
    private const string Prefix = "msdn-relay-";

    public static string SubjectOf(string room) => $"CN={Prefix}{room}";

    /// <summary>The room the certificate's subject names, or null when it names none.</summary>
    public static string? RoomOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return name.StartsWith(Prefix, StringComparison.Ordinal) && name.Length > Prefix.Length ? name[Prefix.Length..] : null;
    }
}
