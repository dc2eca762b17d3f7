using Mirage.IO;

namespace Mirage.Faithfulness;

/// <summary>Writes a results directory (docs/results-format.md) all at once: staged, then renamed into place.</summary>
public static class ResultsWriter
{
    public const string Manifest = "manifest.json", Faithfulness = "faithfulness.csv", Summary = "faithfulness_summary.csv", Breakdown = "breakdown.csv",
        ModelAccuracy = "model_accuracy.csv", Baseline = "baseline.csv", ByCategory = "faithfulness_by_category.csv", ByScoring = "faithfulness_by_scoring.csv",
        Oracle = "oracle.csv", Json_ = "faithfulness.json", Examples = "examples.json", PcaPoints = "pca_points.json";

    /// <summary>Every file a results directory can hold: the only names a rerun may replace (the others are the user's).</summary>
    public static readonly HashSet<string> Files = [Manifest, Faithfulness, Summary, Breakdown, ModelAccuracy, Baseline, Statistics.OutcomesFile.FileName,
        ByCategory, ByScoring, Oracle, Json_, Examples, PcaPoints];

    /// <summary>A results directory: its manifest.json says "created_by": "mirage simplify".</summary>
    public static readonly OutputKind Kind = new("mirage simplify", "a results directory", dir => OutputManifest.CreatedBy(dir) == "mirage simplify",
        Owns: _ => Files.Contains);

    public static void Write(string dir, SimplifyResults r)
    {
        using var staging = new StagingDirectory(dir);
        string P(string f) => Files.Contains(f) ? Path.Combine(staging.Path, f) : throw new InvalidOperationException($"{f} is not listed in ResultsWriter.Files");
        var summary = FaithfulnessRows.Summarize(r.Rows);
        IO.Json.Save(P(Manifest), r.Manifest);
        Csv.Save(P(Faithfulness), r.Rows);
        Csv.Save(P(Summary), summary);
        Csv.Save(P(Breakdown), r.Breakdown);
        Csv.Save(P(ModelAccuracy), r.ModelAccuracy);
        Csv.Save(P(Baseline), r.Baseline);
        Statistics.OutcomesFile.Write(P(Statistics.OutcomesFile.FileName), r.Outcomes, r.SequenceLengths);
        if (r.CategoryRows.Count > 0) Csv.Save(P(ByCategory), r.CategoryRows);
        if (r.ScoringRows.Count > 0) Csv.Save(P(ByScoring), r.ScoringRows);
        if (r.OracleRows.Count > 0) Csv.Save(P(Oracle), r.OracleRows);
        AtomicFile.WriteAllText(P(Json_), System.Text.Json.JsonSerializer.Serialize(new { manifest = r.Manifest, rows = r.Rows, summary }, IO.Json.Compact));
        AtomicFile.WriteAllText(P(Examples), System.Text.Json.JsonSerializer.Serialize(r.Examples, IO.Json.Compact));
        AtomicFile.WriteAllText(P(PcaPoints), System.Text.Json.JsonSerializer.Serialize(r.PcaPoints, IO.Json.Compact));
        staging.Commit();
    }
}
