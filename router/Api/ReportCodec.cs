using MessagePack;
using Microsoft.AspNetCore.Http;
using Msdn.Router.Rooms;

namespace Msdn.Router.Api;

/// <summary>Reads a MessagePack report body (its size is bounded by the request's body limit, <see cref="ReportValidator.MaxBodyBytes"/>).</summary>
public static class ReportCodec
{
    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static async Task<RoomReport?> ReadAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted).ConfigureAwait(false);

        return Decode(body.GetBuffer().AsMemory(0, (int)body.Length), request.HttpContext.RequestAborted);
    }

    /// <summary>A MessagePack report; <see cref="MessagePackSerializationException"/> for anything that is not one.</summary>
    public static RoomReport? Decode(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        MessagePackSerializer.Deserialize<RoomReport>(body, Options, cancellationToken);
}
