namespace Msdn.Overlay.Relay;

/// <summary>The egress ended the flow for good (its subscriber stopped reading, or it was cut off there): no other path would help.</summary>
public sealed class FlowEndedException(string reason) : IOException($"The flow was ended at its destination: {reason}.");
