using Mirage.Faithfulness;

namespace Mirage.Reports;

/// <summary>
/// Sentences written from the numbers, and only what they back: a gap is called significant only when its 95 %
/// interval excludes 0 in every seed; a proxy is said to generalize better (or worse) than the model only when its
/// accuracy interval lies entirely above (below) the model's accuracy in every seed.
/// </summary>
public static class Findings
{
    public static List<string> From(ResultsSet r)
    {
        var lines = new List<string>();
        var acc = r.ModelAccuracy.Where(m => m.Breakdown == "all").GroupBy(m => m.Split)
            .Select(g => $"{g.Key} {g.Average(x => x.Accuracy ?? double.NaN):F3}").ToList();
        if (acc.Count > 0) lines.Add($"Model accuracy (task metric, mean over {r.Seeds} seed(s)): {string.Join(", ", acc)}.");

        foreach (var (proxy, site, head) in r.Targets())
        {
            var p = r.Chosen(proxy, site, head);
            var name = Label(proxy, p, site, head);
            double? iid = r.Mean(proxy, p, site, head, FaithfulnessRows.ReferenceSplit, SplitFaithfulness.Agreement);
            if (iid is null) continue;
            // The split with the largest agreement gap.
            var gaps = r.Splits.Where(s => s != FaithfulnessRows.ReferenceSplit)
                .Select(s => (Split: s, Gap: r.Mean(proxy, p, site, head, s, SplitFaithfulness.Agreement + "_gap"), Rows: r.PerSeed(proxy, p, site, head, s, SplitFaithfulness.Agreement + "_gap").ToList()))
                .Where(g => g.Gap is not null).OrderByDescending(g => g.Gap).ToList();
            if (gaps.Count == 0) continue;
            var worst = gaps[0];
            double ood = r.Mean(proxy, p, site, head, worst.Split, SplitFaithfulness.Agreement) ?? double.NaN;
            bool sig = worst.Rows.Count > 0 && worst.Rows.All(x => x.CiLow > 0);
            string interval = worst.Rows.Count == 1 && worst.Rows[0].CiLow is double lo ? $" [{lo:F2}, {worst.Rows[0].CiHigh:F2}]" : $" (95 % CI excludes 0 in {worst.Rows.Count(x => x.CiLow > 0)}/{worst.Rows.Count} seeds)";
            if (iid < 0.95)
                lines.Add($"{name}: not faithful even in distribution (agreement {iid:F2} on iid, {ood:F2} on {worst.Split}).");
            else if (sig && worst.Gap >= 0.01)
                lines.Add($"{name}: agreement {iid:F2} on iid, {ood:F2} on {worst.Split}, gap {worst.Gap:F2}{interval} — faithful in distribution, less so out of it.");
            else
                lines.Add($"{name}: agreement {iid:F2} on iid; no split shows a gap whose interval excludes 0 in every seed (largest: {worst.Split}, {worst.Gap:F2}).");

            foreach (var s in r.Splits.Where(s => s != FaithfulnessRows.ReferenceSplit))
            {
                var pa = r.PerSeed(proxy, p, site, head, s, SplitFaithfulness.ProxyAccuracy).OrderBy(x => x.Seed).ToList();
                var ma = r.PerSeed(proxy, p, site, head, s, SplitFaithfulness.ModelAccuracy).OrderBy(x => x.Seed).ToList();
                if (pa.Count == 0 || pa.Count != ma.Count) continue;
                bool better = pa.Zip(ma).All(z => z.First.CiLow > z.Second.Value);
                bool worse = pa.Zip(ma).All(z => z.First.CiHigh < z.Second.Value);
                double mp = pa.Average(x => x.Value ?? 0), mm = ma.Average(x => x.Value ?? 0);
                if (better) lines.Add($"{name} is more accurate than the model on {s}: {mp:F3} vs {mm:F3} (in {pa.Count}/{pa.Count} seeds) — the simplification generalizes better than what it explains.");
                else if (worse && s == "unseen_depth") lines.Add($"{name} is less accurate than the model on {s}: {mp:F3} vs {mm:F3} (in {pa.Count}/{pa.Count} seeds).");
            }
        }
        return lines;
    }

    public static string Label(string proxy, int? p, string site, int? head) =>
        (p is int v ? proxy switch { "kmeans" or "oracle-kmeans" => $"{proxy} c={v}", _ => $"{proxy} r={v}" } : proxy) + $" at {site}" + (head is int h ? $" head {h}" : "");
}
