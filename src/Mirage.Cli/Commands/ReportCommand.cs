using System.CommandLine;
using Mirage.IO;
using Mirage.Reports;

namespace Mirage.Cli.Commands;

/// <summary><c>mirage report RES --out REPORT</c>: HTML + Markdown + PNG report of a results directory.</summary>
public static class ReportCommand
{
    public static Command Create(CliContext ctx)
    {
        var res = new Argument<string>("results") { Description = "Results directory from `mirage simplify`" };
        var output = new Option<string>("--out") { Description = "Report directory (report.html, report.md, *.png, manifest.json); an earlier report there is replaced, anything else refused", Required = true };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples of the pooled statistics (seeds and sequences)", DefaultValueFactory = _ => Statistics.StudyStatistics.DefaultResamples };
        var cmd = new Command("report", "Write report.html (self-contained), report.md and PNG plots from a results directory.") { res, output, resamples };
        cmd.SetAction(r =>
        {
            Run(r.GetValue(res)!, r.GetValue(output)!, r.GetValue(resamples));
            ctx.Stdout.WriteLine($"wrote {Path.Combine(r.GetValue(output)!, "report.html")}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Checks the output (never the results it reads, never anything but an earlier report) and the results, then writes under the output's lock.</summary>
    public static void Run(string results, string output, int resamples)
    {
        if (resamples < 1) throw new UserError($"--resamples must be >= 1, found {resamples}");
        var target = OutputDirectory.Check(output, "--out", ReportBuilder.Kind, [results]);
        var set = ResultsSet.Load(results, resamples);
        using var held = target.Claim();
        ReportBuilder.Build(set, output);
    }
}
