using Msdn.Graph.Tables;

namespace Msdn.Overlay.Hosting;

/// <summary>
/// The last route table, kept on disk so a relay restarted while the controller is unreachable still
/// forwards (edge autonomy). Written atomically and durably (<see cref="DurableFile"/>).
/// </summary>
public sealed class RouteTableStore(string dataDirectory)
{
    public const string FileName = "routes.msgpack";

    /// <summary>What a persisted table that could not be read is renamed to (kept for whoever investigates).</summary>
    public const string CorruptSuffix = ".corrupt";

    private RouteTable _current = RouteTable.Empty;

    public string Path { get; } = System.IO.Path.Combine(dataDirectory, FileName);

    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads the persisted table, if any. A corrupt file is not trusted: it is set aside (renamed with
    /// <see cref="CorruptSuffix"/>), the relay starts without a table, and <paramref name="problem"/> says why.
    /// </summary>
    public RouteTable LoadPersisted(out string? problem)
    {
        problem = null;
        if (!File.Exists(Path))
        {
            return Current;
        }

        try
        {
            Volatile.Write(ref _current, RouteTableCodec.Decode(File.ReadAllBytes(Path)));
        }
        catch (RouteTableFormatException e)
        {
            problem = e.Message;
            File.Move(Path, Path + CorruptSuffix, overwrite: true);
        }

        return Current;
    }

    /// <summary>Adopts a newer table and persists it.</summary>
    public void Replace(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        DurableFile.Replace(Path, RouteTableCodec.Encode(table));
        Volatile.Write(ref _current, table);
    }
}
