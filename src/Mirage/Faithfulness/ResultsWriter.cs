using Mirage.IO;

namespace Mirage.Faithfulness;

/// <summary>Writes a results directory (docs/results-format.md) all at once: staged, then renamed into place.</summary>
public static class ResultsWriter
{
    /// <summary>A results directory: its manifest.json says "created_by": "mirage simplify".</summary>
    public static readonly OutputKind Kind = new("mirage simplify", "a results directory", dir => OutputManifest.CreatedBy(dir) == "mirage simplify",
        Owns: name => Files.Contains(name));

    /// <summary>Every file a results directory can hold (faithfulness_by_category.csv only for tasks with categories).</summary>
    public static readonly HashSet<string> Files = ["manifest.json", "faithfulness.csv", "faithfulness_summary.csv", "breakdown.csv", "model_accuracy.csv",
        "baseline.csv", Statistics.OutcomesFile.FileName, "faithfulness_by_category.csv", "faithfulness.json", "examples.json", "pca_points.json"];

    public static void Write(string dir, SimplifyResults r)
    {
        using var staging = new StagingDirectory(dir);
        string P(string f) => Path.Combine(staging.Path, f);
        var summary = FaithfulnessRows.Summarize(r.Rows);
        Json.Save(P("manifest.json"), r.Manifest);
        Csv.Save(P("faithfulness.csv"), r.Rows);
        Csv.Save(P("faithfulness_summary.csv"), summary);
        Csv.Save(P("breakdown.csv"), r.Breakdown);
        Csv.Save(P("model_accuracy.csv"), r.ModelAccuracy);
        Csv.Save(P("baseline.csv"), r.Baseline);
        Statistics.OutcomesFile.Write(P(Statistics.OutcomesFile.FileName), r.Outcomes);
        if (r.CategoryRows.Count > 0) Csv.Save(P("faithfulness_by_category.csv"), r.CategoryRows);
        AtomicFile.WriteAllText(P("faithfulness.json"), System.Text.Json.JsonSerializer.Serialize(new { manifest = r.Manifest, rows = r.Rows, summary }, Json.Compact));
        AtomicFile.WriteAllText(P("examples.json"), System.Text.Json.JsonSerializer.Serialize(r.Examples, Json.Compact));
        AtomicFile.WriteAllText(P("pca_points.json"), System.Text.Json.JsonSerializer.Serialize(r.PcaPoints, Json.Compact));
        staging.Commit();
    }
}
