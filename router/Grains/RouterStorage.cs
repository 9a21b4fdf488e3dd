namespace Msdn.Router.Grains;

/// <summary>The grain storage provider the router's persistent state uses (memory embedded, Redis clustered).</summary>
public static class RouterStorage
{
    public const string Name = "msdn";
}
