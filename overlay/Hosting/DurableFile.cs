namespace Msdn.Overlay.Hosting;

/// <summary>
/// Replaces a file atomically and durably: the new content reaches the disk before it replaces the old, so a
/// crash or power loss mid-write leaves the previous file whole. A private file (a key) is readable by its
/// owner only from the moment it exists.
/// </summary>
internal static class DurableFile
{
    public static void Replace(string path, ReadOnlySpan<byte> content, bool ownerOnly = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.Delete(temporary); // a leftover keeps its mode on create
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
