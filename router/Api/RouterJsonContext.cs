using System.Text.Json;
using System.Text.Json.Serialization;

namespace Msdn.Router.Api;

/// <summary>Compile-time JSON for the hot paths (path answers, relays' reports): no reflection per request.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PathAnswer))]
[JsonSerializable(typeof(Rooms.RoomReport))]
[JsonSerializable(typeof(ReportReceipt))]
[JsonSerializable(typeof(Rooms.DirectoryAnswer))]
public sealed partial class RouterJsonContext : JsonSerializerContext;
