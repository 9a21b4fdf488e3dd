using Msdn.Graph.Tables;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The last route table, kept on disk so a relay restarted while the controller is unreachable still
/// forwards (edge autonomy). Written atomically: a crash mid-write leaves the previous table.
/// </summary>
public sealed class RouteTableStore(string dataDirectory)
{
    public const string FileName = "routes.msgpack";

    private RouteTable _current = RouteTable.Empty;

    public string Path { get; } = System.IO.Path.Combine(dataDirectory, FileName);

    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>Loads the persisted table, if any; a corrupt file is reported, not trusted.</summary>
    public RouteTable LoadPersisted()
    {
        if (File.Exists(Path))
        {
            Volatile.Write(ref _current, RouteTableCodec.Decode(File.ReadAllBytes(Path)));
        }

        return Current;
    }

    /// <summary>Adopts a newer table and persists it.</summary>
    public void Replace(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = Path + ".tmp";
        File.WriteAllBytes(temporary, RouteTableCodec.Encode(table));
        File.Move(temporary, Path, overwrite: true);
        Volatile.Write(ref _current, table);
    }
}
