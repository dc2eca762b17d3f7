using System.CommandLine;
using Mirage.Reports;

namespace Mirage.Cli.Commands;

/// <summary><c>mirage report RES --out REPORT</c>: HTML + Markdown + PNG report of a results directory.</summary>
public static class ReportCommand
{
    public static Command Create(CliContext ctx)
    {
        var res = new Argument<string>("results") { Description = "Results directory from `mirage simplify`" };
        var output = new Option<string>("--out") { Description = "Report directory (report.html, report.md, *.png); replaced if it exists", Required = true };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples of the pooled statistics (seeds and sequences)", DefaultValueFactory = _ => Statistics.StudyStatistics.DefaultResamples };
        var cmd = new Command("report", "Write report.html (self-contained), report.md and PNG plots from a results directory.") { res, output, resamples };
        cmd.SetAction(r =>
        {
            ReportBuilder.Build(r.GetValue(res)!, r.GetValue(output)!, r.GetValue(resamples));
            ctx.Stdout.WriteLine($"wrote {Path.Combine(r.GetValue(output)!, "report.html")}");
            return 0;
        });
        return cmd;
    }
}
