namespace Msdn.Overlay.Hosting;

/// <summary>The relay could not take an address its settings name (in use, not on this host, not permitted): says which setting and which address.</summary>
internal sealed class RelayStartException(string setting, string address, Exception reason)
    : Exception($"{setting} {address}: {reason.Message}", reason)
{
    public string Setting { get; } = setting;

    /// <summary>Runs a bind, turning a socket error into one that names the setting and the address.</summary>
    public static async Task BindingAsync(string setting, string address, Func<Task> bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        try
        {
            await bind().ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new RelayStartException(setting, address, e);
        }
    }
}
