using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Msdn.Probe.Agent;

namespace Msdn.Probe.Hosting;

public static class ProbeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the room's probe agent as a hosted service, configured from the <c>Probe</c> section and
    /// validated at start-up (a bad setting stops the host with a message naming it).
    /// </summary>
    public static IServiceCollection AddProbeAgent(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ProbeAgentOptions>().BindConfiguration(ProbeAgentOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProbeAgentOptions>, ProbeAgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProbeAgentHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<ProbeAgentHostedService>());
        return services;
    }
}
