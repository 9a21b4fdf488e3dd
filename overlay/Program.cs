using Microsoft.Extensions.Options;
using Msdn.Overlay.Hosting;

if (args.Any(a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine("""
        msdn-relay: one room's relay of the MSDN overlay.

        usage: msdn-relay --room <id> [--listen address:port] [--advertise host:port] [--transport tcp|quic]
                          [--controller <url> --credential <room credential>] [--data-dir <dir>] [--routes <table.msgpack>]
                          [--admin address:port] [--client-listen address:port]
                          [--forward address:port=room/endpoint]... [--deliver endpoint=host:port]...

        Every setting is also Relay:<Name> in appsettings.json or Relay__<Name> in the environment (secrets
        belong there, not on the command line: Relay__ControllerCredential, Probe__ClusterKey,
        Relay__MediaTokenKey). Peers: Relay:Peers:<room>=host:port; trusted certificates:
        Relay:PinnedFingerprints:<n>=<SHA-256>. Probes use UDP on the listen port + 1. docs/relay.md has the rest.
        """);
    return 0;
}

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
catch (RelayStartException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 2;
}
catch (IOException e) when (e.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
{
    // Kestrel's admin endpoint: "Failed to bind to address http://...: address already in use."
    await Console.Error.WriteLineAsync($"error: Relay:Admin (--admin): {e.Message} (two relays on one host need different --admin addresses; 127.0.0.1:0 picks a free one)");
    return 2;
}
