using Mirage.Faithfulness;

namespace Mirage.Study;

/// <summary>
/// Joins results computed one run at a time (the study's per-seed proxy tasks) into the results of all runs — the
/// same bytes one <see cref="ProxyStage"/> over every run writes: rows and outcomes in seed order, the bigram baseline
/// and the report's material (examples, PCA points) from the first part, the summary recomputed by the writer.
/// </summary>
public static class ResultsCombiner
{
    public static SimplifyResults Combine(IReadOnlyList<SimplifyResults> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("nothing to combine");
        var first = parts[0].Manifest;
        foreach (var p in parts.Skip(1))
        {
            // Every part must come from the same settings: only the run differs.
            var a = IO.Json.Serialize(p.Manifest with { Runs = first.Runs });
            var b = IO.Json.Serialize(first);
            if (a != b) throw new UserError($"results of seed {p.Manifest.Runs.FirstOrDefault()?.Seed} were computed with other settings than seed {first.Runs.FirstOrDefault()?.Seed}'s; rerun its proxy task");
        }
        var all = new SimplifyResults { Manifest = first with { Runs = parts.SelectMany(p => p.Manifest.Runs).ToList() } };
        foreach (var p in parts) all.Append(p);
        all.Baseline.AddRange(parts[0].Baseline);
        foreach (var (split, lengths) in parts[0].SequenceLengths) all.SequenceLengths[split] = lengths;
        return all;
    }
}
