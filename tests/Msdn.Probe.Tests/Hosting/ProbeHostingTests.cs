using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Msdn.Graph.Topology;
using Msdn.Probe.Agent;
using Msdn.Probe.Detection;
using Msdn.Probe.Hosting;
using Msdn.Probe.Tests.Support;
using Msdn.Probe.Transport;

namespace Msdn.Probe.Tests.Hosting;

/// <summary>The agent as a relay hosts it: a real generic host, configuration, start-up validation, UDP.</summary>
public sealed class ProbeHostingTests
{
    [Fact]
    public async Task A_hosted_agent_answers_probes_on_its_configured_socket()
    {
        using var host = Build(new()
        {
            ["Probe:Room"] = "room-a",
            ["Probe:ClusterKey"] = VirtualProbeWorld.Key,
            ["Probe:Listen"] = "127.0.0.1:0",
        });
        await host.StartAsync();
        var hosted = host.Services.GetRequiredService<ProbeAgentHostedService>();
        Assert.Equal(new RoomId("room-a"), hosted.Agent!.Room);

        var options = VirtualProbeWorld.Options("room-b");
        options.FastInterval = TimeSpan.FromMilliseconds(20);
        await using var prober = new ProbeAgent(options, new UdpProbeSocket(new IPEndPoint(IPAddress.Loopback, 0)), TimeProvider.System, NullLogger<ProbeAgent>.Instance);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = prober.Subscribe(change => up.TrySetResult());
        prober.Start();
        prober.SetPeers([new ProbePeer("room-a", hosted.Agent.LocalEndPoint)]);
        prober.SetActive("room-a", true);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(LinkState.Up, Assert.Single(prober.Snapshot()).State);
        Assert.True(hosted.Agent.Counters.RepliesSent >= 3);
        await host.StopAsync();
    }

    [Fact]
    public async Task Bad_configuration_stops_the_host_naming_each_setting()
    {
        using var host = Build(new()
        {
            ["Probe:Room"] = "room a",
            ["Probe:ClusterKey"] = "not base64!",
            ["Probe:Listen"] = "nowhere",
            ["Probe:Peers:0:Room"] = "room-b",
            ["Probe:Peers:0:Endpoint"] = "10.0.0.2",
        });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        foreach (var setting in new[] { "Probe:Room", "Probe:ClusterKey", "Probe:Listen", "Probe:Peers:0:Endpoint" })
        {
            Assert.Contains(error.Failures, f => f.StartsWith(setting, StringComparison.Ordinal));
        }
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddProbeAgent();
        return builder.Build();
    }
}
