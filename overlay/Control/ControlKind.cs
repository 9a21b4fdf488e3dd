namespace Msdn.Overlay.Control;

/// <summary>What a control exchange carries, for counting what each kind costs on the wire.</summary>
public enum ControlKind
{
    /// <summary>A relay's link reports and their answers.</summary>
    Reports,

    /// <summary>Route tables and diffs (long-polls).</summary>
    Routes,

    /// <summary>The directory of rooms (long-polls).</summary>
    Directory,

    /// <summary>Certificate requests to the cluster CA.</summary>
    Certificate,
}

public static class ControlKinds
{
    public static IReadOnlyList<ControlKind> All { get; } = Enum.GetValues<ControlKind>();

    /// <summary>The name the relay's metrics and the drills' summaries use.</summary>
    public static string Name(this ControlKind kind) => kind switch
    {
        ControlKind.Reports => "reports",
        ControlKind.Routes => "routes",
        ControlKind.Directory => "directory",
        _ => "certificate",
    };

    /// <summary>The kind of a request by its path relative to the controller's base (a tunnelled exchange is counted as what it carries).</summary>
    public static ControlKind OfPath(string pathAndQuery)
    {
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        var path = pathAndQuery.Split('?', 2)[0].TrimStart('/');
        return path switch
        {
            "v1/routes" => ControlKind.Routes,
            "v1/directory" => ControlKind.Directory,
            _ when path.EndsWith("/certificate", StringComparison.Ordinal) => ControlKind.Certificate,
            _ => ControlKind.Reports,
        };
    }
}
