using MessagePack;
using Microsoft.AspNetCore.Http;
using Msdn.Router.Rooms;

namespace Msdn.Router.Api;

/// <summary>Reads a report body, MessagePack or JSON (its size is bounded by the request's body limit, <see cref="ReportValidator.MaxBodyBytes"/>).</summary>
public static class ReportCodec
{
    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>The report and the size of its body as read.</summary>
    public static async Task<(RoomReport? Report, long Bytes)> ReadAsync(HttpRequest request, bool messagePack)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted).ConfigureAwait(false);
        var read = body.GetBuffer().AsMemory(0, (int)body.Length);
        // Decoded without the request's token: the body is read already, and MessagePack reports a cancellation as a
        // malformed body, which would count a sender that went away as one that sent a bad report.
        return (messagePack ? Decode(read) : System.Text.Json.JsonSerializer.Deserialize(read.Span, RouterJsonContext.Default.RoomReport), read.Length);
    }

    /// <summary>A MessagePack report; <see cref="MessagePackSerializationException"/> for anything that is not one.</summary>
    public static RoomReport? Decode(ReadOnlyMemory<byte> body) =>
        MessagePackSerializer.Deserialize<RoomReport>(body, Options);
}
