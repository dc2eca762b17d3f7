using System.CommandLine;

namespace Mirage.Cli.Commands;

/// <summary><c>mirage data &lt;task&gt;</c>: build a task's train and evaluation splits.</summary>
public static class DataCommand
{
    public static Command Create(CliContext ctx)
    {
        var data = new Command("data", "Build a task's train split and its systematic-generalization evaluation splits.");
        return data;
    }
}
