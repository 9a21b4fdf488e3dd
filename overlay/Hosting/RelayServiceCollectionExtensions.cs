using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Msdn.Overlay.Hosting;

internal static class RelayServiceCollectionExtensions
{
    /// <summary>The command-line switches a relay understands, mapped to its settings.</summary>
    public static IReadOnlyDictionary<string, string> SwitchMappings { get; } = new Dictionary<string, string>
    {
        ["--room"] = "Relay:Room",
        ["--controller"] = "Relay:Controller",
        ["--listen"] = "Relay:Listen",
        ["--data-dir"] = "Relay:DataDirectory",
        ["--routes"] = "Relay:RouteTableFile",
        ["--transport"] = "Relay:Transport",
        ["--client-listen"] = "Relay:ClientListen",
        ["--admin"] = "Relay:Admin",
        ["--forward"] = "Relay:Forward",
        ["--deliver"] = "Relay:Deliver",
        ["--credential-file"] = "Relay:ControllerCredentialFile",
        ["--advertise"] = "Relay:Advertise",
        ["--cluster-ca-file"] = "Relay:ClusterCaFile",
    };

    /// <summary>
    /// Adds the relay (configured from <c>Relay</c>, validated at start-up) as hosted services that start in
    /// this order and stop in the reverse one: the node, its probe agent, the media engines' front doors,
    /// the control link, the warm-keeper of peer connections, and the runtime view that announces the relay up.
    /// </summary>
    public static IServiceCollection AddRelay(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RelayOptions>().BindConfiguration(RelayOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>());
        services.AddOptions<Probe.Agent.ProbeAgentOptions>().BindConfiguration(Probe.Agent.ProbeAgentOptions.SectionName); // validated when the probe runs
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<Probe.Agent.ProbeAgentOptions>, RelayProbeDefaults>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<RelayOptions>, RelaySecretFiles>());
        services.TryAddSingleton(TimeProvider.System);
        AddStarted<RelayNodeService>(services);
        AddStarted<RelayProbeService>(services);
        AddStarted<RelayFrontDoors>(services);
        AddStarted<ControllerLinkService>(services);
        AddStarted<PeerWarmer>(services);
        AddStarted<RelayRuntime>(services);
        return services;
    }

    /// <summary>One part: a singleton the others can depend on, and a hosted service in registration order.</summary>
    private static void AddStarted<T>(IServiceCollection services)
        where T : class, Microsoft.Extensions.Hosting.IHostedService
    {
        services.TryAddSingleton<T>();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(sp => sp.GetRequiredService<T>());
    }
}
