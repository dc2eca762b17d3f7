using System.CommandLine;
using Mirage.Cli.Terminal;
using Mirage.Reports;
using Mirage.Study;

namespace Mirage.Cli.Commands;

/// <summary><c>mirage report RES --out REPORT</c>: HTML + Markdown + PNG report of a results directory.</summary>
public static class ReportCommand
{
    /// <summary>--reference-split: the split gaps are led by (every reference split's gaps are computed; the report leads with this one).</summary>
    public static Option<string?> ReferenceOption() => new("--reference-split")
    { Description = "Split the findings measure gaps against first: iid (default) or, for Dyck, seen_structure (gaps against both are always computed)" };

    public static Command Create(CliContext ctx)
    {
        var res = new Argument<string>("results") { Description = "Results directory from `mirage simplify`" };
        var output = new Option<string>("--out") { Description = "Report directory (report.html, report.md, *.png, manifest.json); an earlier report there is replaced, anything else refused", Required = true };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples of the pooled statistics (seeds and sequences)", DefaultValueFactory = _ => Statistics.StudyStatistics.DefaultResamples };
        var reference = ReferenceOption();
        var cmd = new Command("report", "Write report.html (self-contained), report.md and PNG plots from a results directory.") { res, output, resamples, reference };
        cmd.SetAction(r =>
        {
            Run(r.GetValue(res)!, r.GetValue(output)!, r.GetValue(resamples), r.GetValue(reference));
            ctx.Say($"wrote {Path.Combine(r.GetValue(output)!, "report.html")}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The report (<see cref="ReportStage"/>: never over the results it reads, never over anything but an earlier report).</summary>
    public static void Run(string results, string output, int resamples, string? referenceSplit = null) =>
        ReportStage.Run(results, output, resamples, referenceSplit);
}
