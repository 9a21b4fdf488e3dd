namespace Msdn.Overlay.Hosting;

/// <summary>The relay could not use what a setting names (an address in use or not on this host, a file it cannot read): says which setting and which value.</summary>
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
