using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Msdn.Router.Hosting;

// dotnet run -c Release --project router -- [--listen host:port] [--redis connection] [--cluster-id id]
//   [--silo-port n] [--gateway-port n] [--report-key base64]
try
{
    var app = RouterHost.Build(args);
    await app.StartAsync();
    Console.WriteLine($"msdn-router: API on {string.Join(", ", app.Urls)}");
    await app.WaitForShutdownAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    foreach (var failure in e.Failures)
    {
        await Console.Error.WriteLineAsync($"error: {failure}");
    }

    return 2;
}
