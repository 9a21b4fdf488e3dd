namespace Msdn.Overlay.Flows;

/// <summary>One numbered piece of a flow's byte stream, as the ingress cut it (at most one data frame's payload).</summary>
public readonly record struct FlowChunk(ulong Sequence, ReadOnlyMemory<byte> Payload);
