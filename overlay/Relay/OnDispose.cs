namespace Msdn.Overlay.Relay;

/// <summary>Undoes a registration when disposed, once however often it is disposed.</summary>
internal sealed class OnDispose(Action undo) : IDisposable
{
    private int _done;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            undo();
        }
    }
}
