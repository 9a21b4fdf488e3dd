using Microsoft.Extensions.Options;
using Msdn.Tokens;

namespace Msdn.Router.Routing;

/// <summary>Reads the keys named by <c>Router:ReportKeyFile</c> and <c>Router:MediaTokenKeyFile</c> (a file that cannot be used is reported by the validator).</summary>
internal sealed class RouterSecretFiles : IPostConfigureOptions<RouterOptions>
{
    public void PostConfigure(string? name, RouterOptions options)
    {
        if (SecretFile.ReadIfNamed(options.ReportKeyFile) is { } key)
        {
            options.ReportKey = key;
        }

        if (SecretFile.ReadIfNamed(options.MediaTokenKeyFile) is { } token)
        {
            options.MediaTokenKey = token;
        }

        if (SecretFile.ReadIfNamed(options.OperatorTokenFile) is { } operatorToken)
        {
            options.OperatorToken = operatorToken;
        }
    }
}
