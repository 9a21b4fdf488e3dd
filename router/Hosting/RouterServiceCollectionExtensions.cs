using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Msdn.Graph.Costs;
using Msdn.Graph.Routing;
using Msdn.Router.Routing;

namespace Msdn.Router.Hosting;

public static class RouterServiceCollectionExtensions
{
    /// <summary>
    /// What the grains need in any silo: the settings (sections <c>Router</c>, <c>CostModel</c>,
    /// <c>Hysteresis</c>, validated at start-up), the clock, the route computer and the controller's metrics.
    /// </summary>
    public static IServiceCollection AddRouterCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RouterOptions>().BindConfiguration(RouterOptions.SectionName).ValidateOnStart();
        services.AddOptions<CostModelOptions>().BindConfiguration(CostModelOptions.SectionName).ValidateOnStart();
        services.AddOptions<HysteresisOptions>().BindConfiguration(HysteresisOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RouterOptions>, RouterOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<RouterOptions>, RouterSecretFiles>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CostModelOptions>, CostModelOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HysteresisOptions>, HysteresisOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<Api.RouterMetrics>();
        services.TryAddSingleton(sp => new RouteComputer(new CostModel(sp.GetRequiredService<IOptions<CostModelOptions>>().Value), sp.GetRequiredService<IOptions<HysteresisOptions>>().Value, sp.GetRequiredService<IOptions<RouterOptions>>().Value.ComputeThreads));
        return services;
    }
}
