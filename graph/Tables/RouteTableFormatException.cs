namespace Msdn.Graph.Tables;

/// <summary>An encoded route table or diff that is malformed, oversized or inconsistent.</summary>
public sealed class RouteTableFormatException : FormatException
{
    public RouteTableFormatException(string message)
        : base(message)
    {
    }

    public RouteTableFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
