namespace Msdn.Tokens;

/// <summary>Why a media engine's token was refused; the message is what the engine is told.</summary>
public sealed class MediaTokenException(MediaTokenError error, string message) : Exception(message)
{
    public MediaTokenError Error { get; } = error;
}

public enum MediaTokenError
{
    Malformed,
    BadSignature,
    Expired,
    WrongRoom,
    NotAllowed,

    /// <summary>A resumption names a flow its ticket was not issued for.</summary>
    NotYourFlow,
}
