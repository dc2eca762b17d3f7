using Mirage.Cli.Terminal;
using Mirage.Faithfulness;
using Mirage.Study;
using Spectre.Console;

namespace Mirage.Cli.Display;

/// <summary>How the proxy stage shows on the terminal: a progress bar naming the seed and what it is doing; lines in logs.</summary>
public static class ProxyDisplay
{
    /// <summary>Runs a proxy stage with the progress display that suits the output: a bar on a terminal, lines otherwise, none when quiet.</summary>
    public static SimplifyResults Run(CliContext ctx, bool quiet, Func<IProgress<StageProgress>?, SimplifyResults> run)
    {
        if (quiet || !ctx.Interactive) return run(quiet ? null : new SyncProgress<StageProgress>(p => ctx.Stdout.WriteLine(p.What)));
        SimplifyResults results = null!;
        ctx.Console.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(p =>
            {
                var task = p.AddTask("simplify", maxValue: 1);
                results = run(new SyncProgress<StageProgress>(x => { task.Description = Markup.Escape(x.What); task.Value = x.Fraction; }));
                task.Value = 1;
            });
        return results;
    }
}
