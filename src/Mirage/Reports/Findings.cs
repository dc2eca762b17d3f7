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

        lines.AddRange(CategoryFindings(r));

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
                else if (worse && s == r.DeepSplit) lines.Add($"{name} is less accurate than the model on {s}: {mp:F3} vs {mm:F3} (in {pa.Count}/{pa.Count} seeds).");
            }
        }
        return lines;
    }

    /// <summary>
    /// Tasks with categories (code): per OOD split, the categories ordered by their mean agreement gap over every proxy
    /// and head at its chosen parameter, and the largest single gap whose interval excludes 0 in every seed.
    /// </summary>
    static IEnumerable<string> CategoryFindings(ResultsSet r)
    {
        if (r.CategoryRows.Count == 0 || r.Categories.Count < 2) yield break;
        foreach (var split in r.Splits.Where(s => s != FaithfulnessRows.ReferenceSplit))
        {
            var means = r.Categories.Select(c => (Category: c, Gaps: r.CategoryGaps(split, c))).Where(x => x.Gaps.Count > 0)
                .Select(x => (x.Category, Mean: x.Gaps.Average(), N: x.Gaps.Count)).OrderByDescending(x => x.Mean).ToList();
            if (means.Count == 0) continue;
            yield return $"On {split}, the mean agreement gap over {means[0].N} proxy/head pairs is largest for {means[0].Category} ({means[0].Mean:F3})"
                + (means.Count > 1 ? $", then {string.Join(", ", means.Skip(1).Select(m => $"{m.Category} ({m.Mean:F3})"))}." : ".");
            var best = r.Targets().SelectMany(t => r.Categories.Select(c => (t, c, p: r.Chosen(t.Proxy, t.Site, t.Head))))
                .Select(x => (x.t, x.c, x.p, Rows: r.PerSeed(x.t.Proxy, x.p, x.t.Site, x.t.Head, split, x.c, SplitFaithfulness.Agreement + "_gap").Where(y => y.Value is not null).ToList()))
                .Where(x => x.Rows.Count > 0 && x.Rows.All(y => y.CiLow > 0))
                .OrderByDescending(x => x.Rows.Average(y => y.Value!.Value)).FirstOrDefault();
            if (best.Rows is { Count: > 0 })
            {
                var iid = r.PerSeed(best.t.Proxy, best.p, best.t.Site, best.t.Head, FaithfulnessRows.ReferenceSplit, best.c, SplitFaithfulness.Agreement).Average(y => y.Value ?? double.NaN);
                var ood = r.PerSeed(best.t.Proxy, best.p, best.t.Site, best.t.Head, split, best.c, SplitFaithfulness.Agreement).Average(y => y.Value ?? double.NaN);
                string ci = best.Rows.Count == 1 ? $" [{best.Rows[0].CiLow:F2}, {best.Rows[0].CiHigh:F2}]" : $" (95 % CI excludes 0 in {best.Rows.Count}/{best.Rows.Count} seeds)";
                yield return $"Largest significant gap on {split}: {Label(best.t.Proxy, best.p, best.t.Site, best.t.Head)} on {best.c}: agreement {iid:F2} on iid, {ood:F2} on {split}, gap {best.Rows.Average(y => y.Value!.Value):F2}{ci}.";
            }
        }
    }

    public static string Label(string proxy, int? p, string site, int? head) =>
        (p is int v ? proxy switch { "kmeans" or "oracle-kmeans" => $"{proxy} c={v}", _ => $"{proxy} r={v}" } : proxy) + $" at {site}" + (head is int h ? $" head {h}" : "");
}

/// <summary>Number formatting shared by the report and the CLI tables.</summary>
public static class Format
{
    /// <summary>A signed value to 3 decimals ("+0.012", "-0.004"); values that round to zero print "+0.000", never "-+0.000".</summary>
    public static string Signed(double v) => (Math.Round(v, 3) + 0.0).ToString("+0.000;-0.000", System.Globalization.CultureInfo.InvariantCulture);
}
