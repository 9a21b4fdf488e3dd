namespace Msdn.Client;

/// <summary>
/// A flow ended without its sender closing it (the sender's connection to its relay broke, or the sender
/// went away): every byte before the end was delivered, in order, but the flow is not complete.
/// </summary>
public sealed class FlowCutOffException(string message) : IOException(message);
