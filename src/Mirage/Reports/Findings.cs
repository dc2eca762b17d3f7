using Mirage.Simplify;
using Mirage.Statistics;

namespace Mirage.Reports;

/// <summary>
/// Sentences written from the numbers, and only what they back. Every claim rests on a test of
/// <see cref="StudyStatistics"/>: seeds pooled by a bootstrap over seeds and sequences, significance decided by the
/// Benjamini–Hochberg false discovery rate over every test of the study. A finding describes a proxy over its whole
/// sweep — where along the sweep a gap holds, and how large it is there — rather than at one chosen parameter.
/// </summary>
public static class Findings
{
    public static List<string> From(ResultsSet r)
    {
        var st = r.Statistics;
        var lines = new List<string>();
        var acc = r.ModelAccuracy.Where(m => m.Breakdown == "all").GroupBy(m => m.Split)
            .Select(g => $"{g.Key} {g.Average(x => x.Accuracy ?? double.NaN):F3}").ToList();
        if (acc.Count > 0) lines.Add($"Model accuracy (task metric, mean over {r.Seeds} seed(s)): {string.Join(", ", acc)}.");
        lines.Add($"How to read these: {st.TestCount} tests — the agreement gap to {string.Join(" and to ", st.References)} and the proxy's accuracy against the model's, at every sweep point, head, split"
            + (r.Categories.Count > 1 ? " and category" : "") + (st.References.Count > 1 ? "; a gap between two reference splits is one test, whichever of them it is measured against" : "") + $" — pooled over {st.Seeds} seed(s) by a bootstrap over seeds and sequences ({st.Resamples:N0} resamples); "
            + $"a result is called significant when its Benjamini–Hochberg q-value is at most {st.Fdr:0.##}, which keeps the expected share of false discoveries among all of them at {st.Fdr:P0}. Gaps are agreement on {st.Reference} minus agreement on the split.");
        lines.AddRange(CategoryFindings(r, st));
        foreach (var (proxy, site, head) in r.Targets())
            if (SweepFinding(r, st, proxy, site, head, st.Reference) is string f) lines.Add(f);
        foreach (var other in st.References.Where(x => x != st.Reference))
        {
            // The same question against another reference, for the proxies where it finds something.
            var more = r.Targets().Select(t => SweepFinding(r, st, t.Proxy, t.Site, t.Head, other, onlyIfSignificant: true)).OfType<string>().ToList();
            lines.Add($"Against {other} instead of {st.Reference}: " + (more.Count == 0
                ? $"no proxy's agreement differs significantly from its agreement on {other} on any split."
                : $"{more.Count} of {r.Targets().Count} proxy/head pairs show significant gaps (below)."));
            lines.AddRange(more.Select(m => $"[against {other}] {m}"));
        }
        lines.AddRange(DepthOrLength(r, st));
        lines.AddRange(ScoringFindings(r, st));
        lines.AddRange(OracleFindings(r, st));
        lines.AddRange(GeneralizationFindings(st));
        return lines;
    }

    /// <summary>
    /// Capacity or shift: on the held-out half of each split, where the train-fitted proxy's agreement drops
    /// significantly below the reference, does the proxy fitted on the split itself still drop (capacity) or not (shift)?
    /// One line per data proxy and head with such a drop.
    /// </summary>
    static IEnumerable<string> OracleFindings(ResultsSet r, StudyStatistics st)
    {
        if (!r.Manifest.Oracle) yield break;
        foreach (var (proxy, site, head) in r.Targets())
        {
            var ps = r.Parameters(proxy, site, head);
            string? sym = ProxyCatalog.SymbolOf(proxy);
            var shift = new List<string>();
            var capacity = new List<string>();
            foreach (var split in r.Splits.Where(s => s != st.Reference))
                foreach (var p in ps)
                {
                    var train = st.Find(StudyStatistics.AgreementGap, proxy, p, site, head, split, OutcomeKey.OracleTrainFit);
                    var own = st.Find(StudyStatistics.AgreementGap, proxy, p, site, head, split, OutcomeKey.OracleSplitFit);
                    if (train is not { Significant: true, Estimate: > 0 } || own?.Estimate is null) continue;
                    string at = $"{split}{(sym is null ? "" : $" {sym}={p}")}";
                    string nums = $"{Format.F(train.Estimate!.Value, 3)} → {Format.F(own.Estimate.Value, 3)} {Format.Interval(own.CiLow, own.CiHigh)}";
                    (own.Significant && own.Estimate > 0 ? capacity : shift).Add($"{at} ({nums})");
                }
            if (shift.Count + capacity.Count == 0) continue;
            var text = $"Capacity or shift — {Label(proxy, null, site, head)}, on the held-out half of each split (gap to {st.Reference}, train fit → fit on the split itself):";
            if (shift.Count > 0) text += $" the fit on the split closes the gap at {string.Join(", ", shift)}: there the gap is the distribution shift, which the proxy could represent had it been fitted on such data;";
            if (capacity.Count > 0) text += $" the gap survives a fit on the split itself at {string.Join(", ", capacity)}: there it is a limit of the proxy's capacity;";
            yield return text.TrimEnd(';') + ".";
        }
    }

    /// <summary>
    /// Which positions are scored: do the significant drops in agreement depend on scoring only closers far from their
    /// opener? Compares every significant drop (lead reference, all proxies, sweep points, heads and splits) under the
    /// task metric with the same test under each scoring variant.
    /// </summary>
    static IEnumerable<string> ScoringFindings(ResultsSet r, StudyStatistics st)
    {
        foreach (var v in r.Manifest.ScoringVariants)
        {
            var main = st.Tests.Where(t => t.Test == StudyStatistics.AgreementGap && t.Reference == st.Reference && t.Category == OutcomeKey.AllCategories).ToList();
            var drops = main.Where(t => t.Significant && t.Estimate > 0).ToList();
            var under = drops.Select(t => st.Find(StudyStatistics.AgreementGap, t.Proxy, t.Parameter, t.Site, t.Head, t.Split, v)).ToList();
            int kept = under.Count(u => u is { Significant: true, Estimate: > 0 });
            int added = main.Where(t => !(t.Significant && t.Estimate > 0))
                .Count(t => st.Find(StudyStatistics.AgreementGap, t.Proxy, t.Parameter, t.Site, t.Head, t.Split, v) is { Significant: true, Estimate: > 0 });
            string rule = r.Manifest.MinDistance is int d ? $"closers at least {d} positions from their opener" : "the task metric's positions";
            yield return $"Scoring {(v == "min_distance_1" ? "every closing bracket" : v)} instead of {rule}: of the {drops.Count} significant drops in agreement below {st.Reference}, "
                + $"{kept} remain significant, and {added} appear only under the wider scoring"
                + (drops.Count > 0 && kept == drops.Count && added == 0 ? " — the conclusions do not depend on the filter." : ".");
        }
    }

    /// <summary>
    /// Depth or length: where a proxy's agreement on the deep split drops significantly below the in-distribution
    /// split, does the drop survive comparing sequences of the same length (the length-matched gap)? One line per
    /// proxy and head with such a drop.
    /// </summary>
    static IEnumerable<string> DepthOrLength(ResultsSet r, StudyStatistics st)
    {
        string inDist = st.References[0], deep = r.DeepSplit;
        int width = r.Manifest.LengthBinWidth;
        if (width <= 0) yield break;
        foreach (var (proxy, site, head) in r.Targets())
        {
            var ps = r.Parameters(proxy, site, head);
            string? sym = ProxyCatalog.SymbolOf(proxy);
            var drops = ps.Select(p => (P: p, Raw: st.Find(StudyStatistics.AgreementGap, proxy, p, site, head, deep, reference: inDist),
                    Matched: st.Find(StudyStatistics.AgreementGapLengthMatched, proxy, p, site, head, deep)))
                .Where(x => x.Raw is { Significant: true, Estimate: > 0 } && x.Matched?.Estimate is not null).ToList();
            if (drops.Count == 0) continue;
            var holds = drops.Where(x => x.Matched!.Significant && x.Matched.Estimate > 0).ToList();
            var gone = drops.Where(x => !(x.Matched!.Significant && x.Matched.Estimate > 0)).ToList();
            string At(IEnumerable<int?> p) => sym is null ? "" : $" at {sym} = {string.Join(", ", p)}";
            var text = $"Depth or length — {Label(proxy, null, site, head)} on {deep}: compared within {width}-token length bins, the drop below {inDist}";
            if (holds.Count > 0) text += $" holds{At(holds.Select(x => x.P))} (length-matched gap {Gaps(holds.Select(x => x.Matched!).ToList())}, raw {Gaps(holds.Select(x => x.Raw!).ToList())})";
            if (holds.Count > 0 && gone.Count > 0) text += ";";
            if (gone.Count > 0)
                text += $" {(holds.Count > 0 ? "it " : "")}is not significant{At(gone.Select(x => x.P))} (length-matched gap {Gaps(gone.Select(x => x.Matched!).ToList())}, raw {Gaps(gone.Select(x => x.Raw!).ToList())}): there, sequences of the same length show no significant drop, so the data do not attribute it to depth";
            yield return text + ".";
        }
    }

    /// <summary>
    /// One proxy at one head over its whole sweep: on which splits and at which parameters its agreement drops (or
    /// rises) significantly against <paramref name="reference"/>.
    /// </summary>
    static string? SweepFinding(ResultsSet r, StudyStatistics st, string proxy, string site, int? head, string reference, bool onlyIfSignificant = false)
    {
        var ps = r.Parameters(proxy, site, head);
        string? sym = ProxyCatalog.SymbolOf(proxy);
        var iid = ps.Select(p => (P: p, V: st.Find(StudyStatistics.Agreement, proxy, p, site, head, reference)?.Estimate)).Where(x => x.V is not null).ToList();
        if (iid.Count == 0) return null;
        string name = Label(proxy, null, site, head);
        string intro = sym is null ? $"{name} (agreement {iid[0].V:F2} on {reference})"
            : $"{name} ({sym} = {string.Join(", ", ps)}; agreement {Format.Range(iid.Select(x => x.V!.Value))} on {reference})";
        var parts = new List<string>();
        var dropAt = new HashSet<int?>();
        StatRow? largest = null;
        foreach (var split in r.Splits.Where(s => s != reference))
        {
            var tests = ps.Select(p => (P: p, T: st.Find(StudyStatistics.AgreementGap, proxy, p, site, head, split, reference: reference))).Where(x => x.T?.Estimate is not null).ToList();
            foreach (var x in tests) if (largest is null || x.T!.Estimate > largest.Estimate) largest = x.T;
            var below = tests.Where(x => x.T!.Significant && x.T.Estimate > 0).ToList();
            var above = tests.Where(x => x.T!.Significant && x.T.Estimate < 0).ToList();
            foreach (var x in below) dropAt.Add(x.P);
            if (below.Count > 0) parts.Add($"below {reference} on {split}{Where(ps, below.Select(x => x.P).ToList(), sym)} (gap {Gaps(below.Select(x => x.T!).ToList())})");
            if (above.Count > 0) parts.Add($"above {reference} on {split}{Where(ps, above.Select(x => x.P).ToList(), sym)} (gap {Gaps(above.Select(x => x.T!).ToList())})");
        }
        if (parts.Count == 0 && onlyIfSignificant) return null;
        if (parts.Count == 0)
            return $"{intro}: no significant agreement gap on any split" + (largest is null ? "." : $" (largest: {largest.Split}{(sym is null ? "" : $" at {sym} = {largest.Parameter}")}, {Format.Signed(largest.Estimate!.Value)} {Format.Interval(largest.CiLow, largest.CiHigh)}).");
        var text = $"{intro}: agreement {string.Join("; ", parts)}";
        var steady = ps.Where(p => !dropAt.Contains(p)).ToList();
        if (sym is not null && steady.Count > 0 && dropAt.Count > 0) text += $"; no significant drop on any split at {sym} = {string.Join(", ", steady)}";
        // The paper's first illusion in its strict form: faithful on training-like data, significantly less so out of it.
        var illusion = iid.Where(x => x.V >= 0.95 && dropAt.Contains(x.P)).Select(x => x.P).ToList();
        if (illusion.Count > 0)
            text += sym is null ? " — faithful in distribution (agreement ≥ 0.95), less so out of it"
                : $" — faithful in distribution (agreement ≥ 0.95) yet significantly less faithful out of it at {sym} = {string.Join(", ", illusion)}";
        return text + ".";
    }

    /// <summary>" at every r up to 32", " at r = 4, 16", or "" for a proxy without a parameter.</summary>
    static string Where(IReadOnlyList<int?> sweep, IReadOnlyList<int?> subset, string? sym)
    {
        if (sym is null) return "";
        var idx = subset.Select(p => sweep.ToList().IndexOf(p)).Order().ToList();
        bool contiguous = idx.Zip(idx.Skip(1)).All(z => z.Second == z.First + 1);
        if (idx.Count == sweep.Count) return sweep.Count == 1 ? $" at {sym} = {sweep[0]}" : $" at every {sym} swept";
        if (idx.Count == 1) return $" at {sym} = {sweep[idx[0]]}";
        if (contiguous && idx[0] == 0) return $" at every {sym} up to {sweep[idx[^1]]}";
        if (contiguous && idx[^1] == sweep.Count - 1) return $" at every {sym} from {sweep[idx[0]]}";
        return $" at {sym} = {string.Join(", ", idx.Select(i => sweep[i]))}";
    }

    /// <summary>"0.04–0.10", or "0.05 [0.02, 0.08]" for a single point.</summary>
    static string Gaps(IReadOnlyList<StatRow> rows) => rows.Count == 1
        ? $"{Format.F(rows[0].Estimate!.Value, 3)} {Format.Interval(rows[0].CiLow, rows[0].CiHigh)}"
        : Format.Range(rows.Select(x => x.Estimate!.Value));

    /// <summary>The paper's second illusion: a proxy more accurate than the model on the same positions out of distribution.</summary>
    static IEnumerable<string> GeneralizationFindings(StudyStatistics st)
    {
        var acc = st.Tests.Where(t => t.Test == StudyStatistics.AccuracyVsModel && t.Category == OutcomeKey.AllCategories && t.Estimate is not null).ToList();
        if (acc.Count == 0) yield break;
        var better = acc.Where(t => t.Significant && t.Estimate > 0).OrderByDescending(t => t.Estimate).ToList();
        var worse = acc.Where(t => t.Significant && t.Estimate < 0).OrderBy(t => t.Estimate).ToList();
        if (better.Count == 0)
            yield return $"No proxy is significantly more accurate than the model at any sweep point, head or out-of-distribution split ({acc.Count} paired comparisons on the same scored positions): no simplification here generalizes better than the model it explains.";
        else
            yield return $"More accurate than the model — the simplification generalizes better than what it explains — at {better.Count} of {acc.Count} points: "
                + string.Join("; ", better.Take(12).Select(t => $"{Label(t.Proxy, t.Parameter, t.Site, t.Head)} on {t.Split} ({Format.Signed(t.Estimate!.Value)} {Format.Interval(t.CiLow, t.CiHigh)})"))
                + (better.Count > 12 ? $"; {better.Count - 12} more in statistics.csv." : ".");
        if (worse.Count > 0)
        {
            var bySplit = worse.GroupBy(t => t.Split).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
            var w = worse[0];
            yield return $"Less accurate than the model at {worse.Count} of {acc.Count} points (by split: {string.Join(", ", bySplit)}); the largest drop: {Label(w.Proxy, w.Parameter, w.Site, w.Head)} on {w.Split}, {Format.Signed(w.Estimate!.Value)} {Format.Interval(w.CiLow, w.CiHigh)}.";
        }
    }

    /// <summary>
    /// Tasks with categories (code): per OOD split, the categories ordered by their mean agreement gap over every
    /// proxy, head and sweep point, how many of those points are significant per category, and the largest
    /// significant gap.
    /// </summary>
    static IEnumerable<string> CategoryFindings(ResultsSet r, StudyStatistics st)
    {
        if (r.Categories.Count < 2) yield break;
        foreach (var split in r.Splits.Where(s => s != st.Reference))
        {
            var per = r.Categories.Select(c => (Category: c, Tests: st.Tests.Where(t => t.Test == StudyStatistics.AgreementGap && t.Reference == st.Reference && t.Split == split && t.Category == c && t.Estimate is not null).ToList()))
                .Where(x => x.Tests.Count > 0).Select(x => (x.Category, x.Tests, Mean: x.Tests.Average(t => t.Estimate!.Value))).OrderByDescending(x => x.Mean).ToList();
            if (per.Count == 0) continue;
            yield return $"On {split}, the mean agreement gap over {per[0].Tests.Count} proxy/head/sweep points is largest for {per[0].Category} ({per[0].Mean:F3})"
                + (per.Count > 1 ? $", then {string.Join(", ", per.Skip(1).Select(m => $"{m.Category} ({m.Mean:F3})"))}" : "")
                + $"; significant gaps: {string.Join(", ", per.Select(m => $"{m.Category} at {m.Tests.Count(t => t.Significant && t.Estimate > 0)} of {m.Tests.Count} points"))}.";
            var best = per.SelectMany(x => x.Tests).Where(t => t.Significant && t.Estimate > 0).OrderByDescending(t => t.Estimate).FirstOrDefault();
            if (best is not null)
            {
                var iid = st.Find(StudyStatistics.Agreement, best.Proxy, best.Parameter, best.Site, best.Head, st.Reference, best.Category)?.Estimate;
                var ood = st.Find(StudyStatistics.Agreement, best.Proxy, best.Parameter, best.Site, best.Head, split, best.Category)?.Estimate;
                yield return $"Largest significant gap on {split}: {Label(best.Proxy, best.Parameter, best.Site, best.Head)} on {best.Category}: agreement {iid:F2} on {st.Reference}, {ood:F2} on {split}, gap {best.Estimate:F3} {Format.Interval(best.CiLow, best.CiHigh)}.";
            }
        }
    }

    public static string Label(string proxy, int? p, string site, int? head) =>
        (p is int v ? $"{proxy} {ProxyCatalog.SymbolOf(proxy) ?? "p"}={v}" : proxy) + (site == "" ? "" : $" at {site}") + (head is int h ? $" head {h}" : "");
}
