namespace Msdn.Tokens;

/// <summary>
/// Secrets (keys, credentials) read from files rather than the command line, where every user of the host
/// sees them in the process list. A secret file must be readable by its owner only (mode 0600 or 0400 on
/// Unix): a key others can read is refused, not used.
/// </summary>
public static class SecretFile
{
    private const UnixFileMode OthersOrGroup =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The secret in <paramref name="path"/> (surrounding whitespace trimmed), or why it cannot be used.</summary>
    public static bool TryRead(string path, out string secret, out string problem)
    {
        ArgumentNullException.ThrowIfNull(path);
        secret = string.Empty;
        problem = string.Empty;
        if (!File.Exists(path))
        {
            problem = $"{path} does not exist";
            return false;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & OthersOrGroup) != 0)
        {
            problem = $"{path} is readable by others than its owner (chmod 600 it)";
            return false;
        }

        try
        {
            secret = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{path} cannot be read: {e.Message}";
            return false;
        }

        if (secret.Length == 0)
        {
            problem = $"{path} is empty";
            return false;
        }

        return true;
    }

    /// <summary>The secret in <paramref name="path"/>; null when no file is named or it cannot be used (the settings' validators say why).</summary>
    public static string? ReadIfNamed(string? path) => path is { Length: > 0 } && TryRead(path, out var secret, out _) ? secret : null;

    /// <summary>Writes a secret only its owner may read (mode 0600), replacing the file if it exists.</summary>
    public static void Write(string path, string secret)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(secret);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(path, options))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(secret);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // an existing file keeps its mode on create
        }
    }
}
