using Microsoft.Extensions.Options;
using Msdn.Tokens;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// Reads the secrets named by <c>Relay:ControllerCredentialFile</c> and <c>Relay:MediaTokenKeyFile</c> (a file
/// that cannot be used is reported by the validator). <c>Relay:ProbeClusterKeyFile</c> is read by <see cref="RelayProbeDefaults"/>.
/// </summary>
internal sealed class RelaySecretFiles : IPostConfigureOptions<RelayOptions>
{
    public void PostConfigure(string? name, RelayOptions options)
    {
        if (SecretFile.ReadIfNamed(options.ControllerCredentialFile) is { } credential)
        {
            options.ControllerCredential = credential;
        }

        if (SecretFile.ReadIfNamed(options.MediaTokenKeyFile) is { } tokenKey)
        {
            options.MediaTokenKey = tokenKey;
        }
    }
}
