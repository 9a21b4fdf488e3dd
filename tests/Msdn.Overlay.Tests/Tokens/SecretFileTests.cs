using Msdn.Tokens;

namespace Msdn.Overlay.Tests.Tokens;

/// <summary>Secrets read from files only their owner can read.</summary>
public sealed class SecretFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("secrets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_owner_only_and_reads_back_trimmed()
    {
        var file = Path.Combine(_dir, "key");
        SecretFile.Write(file, "c2VjcmV0\n");
        Assert.True(SecretFile.TryRead(file, out var secret, out var problem), problem);
        Assert.Equal("c2VjcmV0", secret);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Refuses_a_file_others_can_read_an_empty_one_and_a_missing_one()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var shared = Path.Combine(_dir, "shared");
        File.WriteAllText(shared, "c2VjcmV0");
        File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.False(SecretFile.TryRead(shared, out _, out var problem));
        Assert.Contains("chmod 600", problem, StringComparison.Ordinal);

        var empty = Path.Combine(_dir, "empty");
        SecretFile.Write(empty, " ");
        Assert.False(SecretFile.TryRead(empty, out _, out problem));
        Assert.Contains("empty", problem, StringComparison.Ordinal);

        Assert.False(SecretFile.TryRead(Path.Combine(_dir, "missing"), out _, out problem));
        Assert.Contains("does not exist", problem, StringComparison.Ordinal);
    }
}
