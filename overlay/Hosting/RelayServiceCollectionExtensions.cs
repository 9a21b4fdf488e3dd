using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Msdn.Overlay.Hosting;

public static class RelayServiceCollectionExtensions
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
        ["--credential"] = "Relay:ControllerCredential",
        ["--advertise"] = "Relay:Advertise",
    };

    /// <summary>Adds the relay (configured from <c>Relay</c>, validated at start-up) as a hosted service.</summary>
    public static IServiceCollection AddRelay(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RelayOptions>().BindConfiguration(RelayOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>());
        services.AddOptions<Probe.Agent.ProbeAgentOptions>().BindConfiguration(Probe.Agent.ProbeAgentOptions.SectionName); // validated when the probe runs
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RelayHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<RelayHostedService>());
        return services;
    }
}
