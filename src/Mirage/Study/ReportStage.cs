using Mirage.IO;
using Mirage.Reports;

namespace Mirage.Study;

/// <summary>The report step (<c>mirage report</c>): the report of a results directory, written under the report's lock.</summary>
public static class ReportStage
{
    /// <summary>Checks the output (never the results it reads, never anything but an earlier report) and the results, then writes.</summary>
    public static void Run(string results, string output, int resamples, string? referenceSplit = null)
    {
        if (resamples < 1) throw new UserError($"--resamples must be >= 1, found {resamples}");
        var target = OutputDirectory.Check(output, "--out", ReportBuilder.Kind, [results]);
        var set = ResultsSet.Load(results, resamples, referenceSplit);
        using var held = target.Claim();
        ReportBuilder.Build(set, output);
    }
}
