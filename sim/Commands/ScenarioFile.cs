using Msdn.Sim.Drills;

namespace Msdn.Sim.Commands;

/// <summary>A command's scenario argument, loaded and checked; each problem is one <c>error:</c> line on stderr.</summary>
internal static class ScenarioFile
{
    /// <summary>The scenario, or null after its problems were printed (the command then exits 2).</summary>
    public static async Task<Scenario?> LoadAsync(FileInfo file)
    {
        try
        {
            return ScenarioLoader.Load(file.FullName);
        }
        catch (ScenarioException e)
        {
            foreach (var problem in e.Problems)
            {
                await Console.Error.WriteLineAsync($"error: {problem}").ConfigureAwait(false);
            }

            return null;
        }
    }
}
