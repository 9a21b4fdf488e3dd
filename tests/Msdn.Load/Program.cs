using System.CommandLine;
using Msdn.Load;

// dotnet run -c Release --project tests/Msdn.Load -- paths  [--router <dll>] [--seconds 10] [--concurrency 32] [--rooms 500]
// dotnet run -c Release --project tests/Msdn.Load -- ingest [--router <dll>] [--seconds 20] [--rooms 500] [--format msgpack|json] [--drift 0.005] [--reports news|full]
// dotnet run -c Release --project tests/Msdn.Load -- serve-constant --listen 127.0.0.1:port   (the ceiling's server; started by "paths")
var router = new Option<FileInfo>("--router") { Description = "the controller's built msdn-router.dll", DefaultValueFactory = _ => new FileInfo(RouterProcess.DefaultDll) };
var seconds = new Option<int>("--seconds") { Description = "how long to load", DefaultValueFactory = _ => 10 };
var concurrency = new Option<int>("--concurrency") { Description = "requests in flight", DefaultValueFactory = _ => 32 };
var rooms = new Option<int>("--rooms") { Description = "rooms in the world", DefaultValueFactory = _ => 500 };
var format = new Option<string>("--format") { Description = "report bodies: msgpack (as relays send them) or json", DefaultValueFactory = _ => "msgpack" };
format.AcceptOnlyFromAmong("msgpack", "json");
var drift = new Option<double>("--drift") { Description = "share of links whose RTT jumps (and loss spikes or clears) each second; the rest wander about 1 % (0: links hold still)", DefaultValueFactory = _ => 0.005 };
drift.Validators.Add(result =>
{
    if (result.GetValueOrDefault<double>() is < 0 or > 1)
    {
        result.AddError("--drift must be in [0, 1]");
    }
});
var reports = new Option<string>("--reports") { Description = "news: what relays send (the news since the last report taken); full: every link every time", DefaultValueFactory = _ => "news" };
reports.AcceptOnlyFromAmong("news", "full");
var listen = new Option<string>("--listen") { Description = "address:port", DefaultValueFactory = _ => "127.0.0.1:0" };

var paths = new Command("paths", "path lookups per second and latency against a running silo, beside a constant endpoint") { router, seconds, concurrency, rooms };
paths.SetAction((result, cancellationToken) => PathLoad.RunAsync(result.GetValue(router)!, result.GetValue(seconds), result.GetValue(concurrency), result.GetValue(rooms), cancellationToken));
var ingest = new Command("ingest", "every room reporting every second while its links drift, sustained on one silo") { router, seconds, rooms, format, drift, reports };
ingest.SetAction((result, cancellationToken) => IngestLoad.RunAsync(result.GetValue(router)!, result.GetValue(seconds), result.GetValue(rooms), result.GetValue(format) == "msgpack", result.GetValue(drift), result.GetValue(reports) == "news", cancellationToken));
var constant = new Command("serve-constant", "a minimal ASP.NET endpoint returning a constant (the ceiling)") { listen };
constant.SetAction((result, cancellationToken) => ConstantServer.RunAsync(result.GetValue(listen)!, cancellationToken));
var root = new RootCommand("Load generators for the MSDN controller") { paths, ingest, constant };
return await root.Parse(args).InvokeAsync();
