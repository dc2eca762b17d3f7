using System.Text.Json;
using Mirage.IO;
using Mirage.Statistics;

namespace Mirage.Faithfulness;

/// <summary>Reads a results directory (docs/results-format.md) back into the <see cref="SimplifyResults"/> that wrote it.</summary>
public static class ResultsReader
{
    public static SimplifyResults Read(string dir)
    {
        InputPath.Directory(dir, "results", "results directory", $"make one with `mirage simplify --out {dir}`");
        string P(string f) => Path.Combine(dir, f);
        if (OutputManifest.CreatedBy(dir) != "mirage simplify")
            throw new UserError($"{dir}: is not a results directory (its manifest.json does not say it was written by `mirage simplify`)");
        List<T> Csv<T>(string f, bool optional = false) => optional && !File.Exists(P(f)) ? [] : CsvReader.Read<T>(P(f));
        List<T> JsonList<T>(string f)
        {
            if (!File.Exists(P(f))) return [];
            try { return JsonSerializer.Deserialize<List<T>>(File.ReadAllText(P(f)), IO.Json.Options) ?? []; }
            catch (JsonException e) { throw new UserError($"{P(f)}: invalid JSON ({e.Message.Split('\n')[0]})"); }
        }
        var r = new SimplifyResults { Manifest = IO.Json.Load<SimplifyManifest>(P(ResultsWriter.Manifest), "results manifest") };
        r.Rows.AddRange(Csv<FaithfulnessRow>(ResultsWriter.Faithfulness));
        r.Breakdown.AddRange(Csv<BreakdownRow>(ResultsWriter.Breakdown));
        r.ModelAccuracy.AddRange(Csv<ModelAccuracyRow>(ResultsWriter.ModelAccuracy));
        r.Baseline.AddRange(Csv<Evaluation.BaselineRow>(ResultsWriter.Baseline, optional: true));
        r.CategoryRows.AddRange(Csv<CategoryRow>(ResultsWriter.ByCategory, optional: true));
        r.ScoringRows.AddRange(Csv<ScoringRow>(ResultsWriter.ByScoring, optional: true));
        r.OracleRows.AddRange(Csv<OracleRow>(ResultsWriter.Oracle, optional: true));
        r.Examples.AddRange(JsonList<ExampleMaps>(ResultsWriter.Examples));
        r.PcaPoints.AddRange(JsonList<PcaPoints>(ResultsWriter.PcaPoints));
        var (outcomes, lengths) = OutcomesFile.ReadAll(P(OutcomesFile.FileName));
        r.Outcomes.AddRange(outcomes);
        foreach (var (split, l) in lengths) r.SequenceLengths[split] = l;
        return r;
    }
}
