using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Persistence;
using Orleans.Serialization;
using Orleans.Storage;

namespace Msdn.Router.Grains;

/// <summary>The grain storage provider the router's persistent state uses (memory embedded, Redis clustered).</summary>
public static class RouterStorage
{
    public const string Name = "msdn";

    /// <summary>
    /// Stores state with Orleans' binary serializer rather than the providers' default JSON: the route computer writes
    /// its encoded table (megabytes) at every version, and JSON made it base64 text several times over.
    /// </summary>
    public static void UseBinarySerializer(IServiceCollection services)
    {
        services.AddOptions<MemoryGrainStorageOptions>(Name).Configure<Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        services.AddOptions<RedisStorageOptions>(Name).Configure<Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
    }
}
