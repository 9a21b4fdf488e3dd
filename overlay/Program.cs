using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Msdn.Overlay.Hosting;

if (args.Any(a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine("""
        msdn-relay: one room's relay of the MSDN overlay.

        usage: msdn-relay --room <id> [--listen address:port] [--advertise host:port] [--transport tcp|quic]
                          [--controller <url> --credential-file <file> [--cluster-ca-file <ca.pem>]]
                          [--data-dir <dir>] [--routes <table.msgpack>]
                          [--admin address:port] [--client-listen address:port]
                          [--forward address:port=room/endpoint]... [--deliver endpoint=host:port]...
               msdn-relay --print-fingerprint --room <id> [--data-dir <dir>]   (the certificate's SHA-256, for peers to pin)

        Secrets come from files readable by their owner only (--credential-file, Relay:MediaTokenKeyFile,
        Relay:ProbeClusterKeyFile) or the environment (Relay__ControllerCredential, Relay__MediaTokenKey,
        Probe__ClusterKey), never the command line. Every setting is also Relay:<Name> in appsettings.json or
        Relay__<Name> in the environment. With --controller the relay registers with it and learns its peers,
        where to reach them and whom to trust from the controller's directory: --room, --controller and
        --credential-file are a complete configuration; the controller's cluster CA signs the relay's certificate
        (renewed while it runs; --cluster-ca-file pins the CA). Without a controller (or to override it): peers as
        Relay:Peers:<room>=host:port, trusted certificates as Relay:PinnedFingerprints:<n>=<SHA-256>. Probes use
        UDP on the listen port + 1 (or, with port 0, a port the relay registers). docs/relay.md has the rest.
        """);
    return 0;
}

if (args.Contains("--print-fingerprint"))
{
    // The certificate a relay of this room and data directory will present (created now if it does not exist yet), so
    // operators can pin it on the peers before the relay ever starts.
    var settings = new ConfigurationBuilder()
        .AddEnvironmentVariables()
        .AddCommandLine([.. args.Where(a => a != "--print-fingerprint")], RelayServiceCollectionExtensions.SwitchMappings.ToDictionary())
        .Build();
    var room = settings["Relay:Room"];
    if (!Msdn.Graph.Topology.RoomId.IsValid(room))
    {
        await Console.Error.WriteLineAsync("error: --print-fingerprint needs --room <id> (and the relay's --data-dir).");
        return 2;
    }

    using var certificate = Msdn.Overlay.Security.RelayCertificates.LoadOrCreateDevelopment(settings["Relay:DataDirectory"] ?? new RelayOptions().DataDirectory, room!, TimeProvider.System);
    Console.WriteLine(Msdn.Overlay.Security.RelayCertificates.Fingerprint(certificate));
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
