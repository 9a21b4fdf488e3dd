using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Msdn.Overlay.Hosting;

// dotnet run -c Release --project overlay -- --room <id> [--controller <url>] [--listen host:port] [--data-dir dir] [--routes table.msgpack]
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddCommandLine(args, RelayServiceCollectionExtensions.SwitchMappings.ToDictionary());
builder.Services.AddRelay();
try
{
    await builder.Build().RunAsync();
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
