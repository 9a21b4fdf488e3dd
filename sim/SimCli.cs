using System.CommandLine;
using Msdn.Sim.Commands;

namespace Msdn.Sim;

/// <summary>The <c>msdn-sim</c> command line: one subcommand per job.</summary>
public static class SimCli
{
    public static RootCommand Create() => new("MSDN overlay simulator: route studies and failure drills.")
    {
        RoutesCommand.Create(),
        DrillCommand.Create(),
        SoakCommand.Create(),
    };
}
