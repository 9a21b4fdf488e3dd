namespace Msdn.Overlay.Hosting;

/// <summary>
/// Replaces a file atomically and durably: the new content reaches the disk before it replaces the old, so a
/// crash or power loss mid-write leaves the previous file whole.
/// </summary>
internal static class DurableFile
{
    public static void Replace(string path, ReadOnlySpan<byte> content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
