using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Msdn.Router.Hosting;

if (args.Any(a => a is "--help" or "-h" or "-?"))
{
    Console.WriteLine("""
        msdn-router: the MSDN controller (route computer, path lookup API, relays' reports and tables).

        usage: msdn-router [--listen address:port] [--redis <connection>] [--cluster-id <id>]
                           [--silo-port <n>] [--gateway-port <n>] [--report-key-file <file>] [--token-key-file <file>]
                           [--cluster-certificate-file <pem>] [--cluster-ca-file <pem>] [--data-directory <dir>]
                           [--operator-token-file <file>]

        Keys come from files readable by their owner only (--report-key-file, --token-key-file) or from the
        environment (Router__ReportKey, Router__MediaTokenKey), never from the command line. Every setting is
        also Router:<Name> in appsettings.json or Router__<Name> in the environment. Without --redis one local
        silo with in-memory storage. With --cluster-certificate-file (a PEM certificate and key, owner-only) silos
        talk to each other over TLS 1.3 and accept only peers presenting that certificate: set it whenever the
        cluster spans hosts. The cluster CA (--cluster-ca-file, a PEM CA certificate and key, owner-only; or one
        created at first start in --data-directory) signs each relay's certificate for its room
        (docs/identity.md). docs/controller.md has the rest.
        """);
    return 0;
}

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
catch (Exception e) when (RouterHost.InUse(e))
{
    await Console.Error.WriteLineAsync($"error: {RouterHost.InUseMessage(args)}");
    return 2;
}
