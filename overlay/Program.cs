using Microsoft.Extensions.Options;
using Msdn.Overlay.Hosting;

// dotnet run -c Release --project overlay -- --room <id> [--controller <url>] [--listen host:port] [--data-dir dir]
//   [--routes table.msgpack] [--client-listen host:port] [--admin host:port] [--forward host:port=room/endpoint] [--deliver endpoint=host:port]
try
{
    await RelayHost.Build(args).RunAsync();
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
