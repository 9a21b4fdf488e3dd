using Microsoft.Extensions.Options;
using Msdn.Tokens;

namespace Msdn.Router.Routing;

/// <summary>Reads the keys named by <c>Router:ReportKeyFile</c> and <c>Router:MediaTokenKeyFile</c> (a file that cannot be used is reported by the validator).</summary>
internal sealed class RouterSecretFiles : IPostConfigureOptions<RouterOptions>
{
    public void PostConfigure(string? name, RouterOptions options)
    {
        if (options.ReportKeyFile is { Length: > 0 } reportKey && SecretFile.TryRead(reportKey, out var key, out _))
        {
            options.ReportKey = key;
        }

        if (options.MediaTokenKeyFile is { Length: > 0 } tokenKey && SecretFile.TryRead(tokenKey, out var token, out _))
        {
            options.MediaTokenKey = token;
        }
    }
}
