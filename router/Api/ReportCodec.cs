using MessagePack;
using Microsoft.AspNetCore.Http;
using Msdn.Router.Rooms;

namespace Msdn.Router.Api;

/// <summary>Reads a MessagePack report body, bounded (a report is at most a few hundred KiB).</summary>
public static class ReportCodec
{
    public const int MaxBytes = 4 * 1024 * 1024;

    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static async Task<RoomReport?> ReadAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBytes)
        {
            throw new InvalidDataException($"A report may not exceed {MaxBytes} bytes.");
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (body.Length > MaxBytes)
        {
            throw new InvalidDataException($"A report may not exceed {MaxBytes} bytes.");
        }

        return MessagePackSerializer.Deserialize<RoomReport>(body.GetBuffer().AsMemory(0, (int)body.Length), Options, request.HttpContext.RequestAborted);
    }
}
