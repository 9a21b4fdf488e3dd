using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Msdn.Load;

/// <summary>The ceiling: the same Kestrel, a JSON body of the path answer's size, no work.</summary>
internal static class ConstantServer
{
    public static async Task<int> RunAsync(string listen, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{listen}");
        var app = builder.Build();
        var body = new string('x', 600);
        app.MapGet("/v1/paths/{from}/{to}", (string from, string to) => Results.Ok(new { from, to, body }));
        await app.StartAsync(cancellationToken);
        Console.WriteLine($"listening {app.Urls.First()}");
        await Console.Out.FlushAsync(cancellationToken);
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
