namespace Mirage.Faithfulness;

/// <summary>Turns per-split faithfulness into rows: values with bootstrap intervals, and the gaps against IID.</summary>
public static class FaithfulnessRows
{
    public const string ReferenceSplit = "iid";

    public static IEnumerable<FaithfulnessRow> For(int seed, string run, SplicedProxy proxy, IReadOnlyList<SplitFaithfulness> splits, Bootstrap bootstrap) =>
        from c in Cells(splits.Select(s => (s.Split, s.Stats)).ToList(), bootstrap)
        select new FaithfulnessRow(seed, run, proxy.Proxy, proxy.Parameter, proxy.Site, proxy.Head, c.Split, c.Metric, c.Value, c.Low, c.High, c.N);

    /// <summary>The same cells per category of scored position (values, intervals and gaps to the same category on iid).</summary>
    public static IEnumerable<CategoryRow> ForCategories(int seed, string run, SplicedProxy proxy, IReadOnlyList<SplitFaithfulness> splits,
        IReadOnlyList<string> categories, Bootstrap bootstrap) =>
        from ci in Enumerable.Range(0, splits.Count == 0 ? 0 : splits[0].ByCategory.Count)
        from c in Cells(splits.Select(s => (s.Split, s.ByCategory[ci])).ToList(), bootstrap)
        select new CategoryRow(seed, run, proxy.Proxy, proxy.Parameter, proxy.Site, proxy.Head, c.Split, categories[ci], c.Metric, c.Value, c.Low, c.High, c.N);

    /// <summary>The oracle control's cells for one fit (train or split), on the held-out half of every split.</summary>
    public static IEnumerable<OracleRow> ForOracle(int seed, string run, SplicedProxy proxy, IReadOnlyList<SplitFaithfulness> splits, string fit, Bootstrap bootstrap) =>
        from c in Cells(splits.Select(s => (s.Split, s.Stats)).ToList(), bootstrap)
        select new OracleRow(seed, run, proxy.Proxy, proxy.Parameter, proxy.Site, proxy.Head, c.Split, fit, c.Metric, c.Value, c.Low, c.High, c.N);

    /// <summary>The same cells under each scoring variant of the task (faithfulness_by_scoring.csv).</summary>
    public static IEnumerable<ScoringRow> ForVariants(int seed, string run, SplicedProxy proxy, IReadOnlyList<SplitFaithfulness> splits, Bootstrap bootstrap) =>
        from v in splits.Count == 0 ? [] : splits[0].Variants.Keys
        from c in Cells(splits.Select(s => (s.Split, s.Variants[v])).ToList(), bootstrap)
        select new ScoringRow(seed, run, proxy.Proxy, proxy.Parameter, proxy.Site, proxy.Head, c.Split, v, c.Metric, c.Value, c.Low, c.High, c.N);

    /// <summary>
    /// Every metric of every split with its bootstrap interval, then the gap (iid − split) of every metric with the
    /// interval of the difference, from the seed's draws of each split's sequences.
    /// </summary>
    static IEnumerable<(string Split, string Metric, double? Value, double? Low, double? High, double N)> Cells(
        IReadOnlyList<(string Split, Dictionary<string, RatioStat> Stats)> splits, Bootstrap bootstrap)
    {
        var iid = splits.FirstOrDefault(s => s.Split == ReferenceSplit);
        foreach (var s in splits)
            foreach (var metric in SplitFaithfulness.Metrics)
            {
                var stat = s.Stats[metric];
                if (stat.Value is null) continue;     // e.g. no JSD for a proxy without a head
                var ci = bootstrap.Interval(stat, s.Split);
                yield return (s.Split, metric, stat.Value, ci?.Low, ci?.High, stat.Total);
            }
        if (iid.Stats is null) yield break;
        foreach (var s in splits.Where(s => s.Split != ReferenceSplit))
            foreach (var metric in SplitFaithfulness.Metrics)
            {
                RatioStat a = iid.Stats[metric], b = s.Stats[metric];
                if (a.Value is null || b.Value is null) continue;
                var ci = bootstrap.DifferenceInterval(a, ReferenceSplit, b, s.Split);
                yield return (s.Split, SplitFaithfulness.Gap(metric), a.Value - b.Value, ci?.Low, ci?.High, b.Total);
            }
    }

    /// <summary>Every metric's per-sequence numerators and denominators, for the whole split and per category.</summary>
    public static IEnumerable<Statistics.SequenceOutcomes> Outcomes(int seed, SplicedProxy proxy, IReadOnlyList<SplitFaithfulness> splits, IReadOnlyList<string> categories)
    {
        foreach (var s in splits)
        {
            var groups = new List<(string Category, Dictionary<string, RatioStat> Stats)> { (Statistics.OutcomeKey.AllCategories, s.Stats) };
            for (int c = 0; c < s.ByCategory.Count; c++) groups.Add((categories[c], s.ByCategory[c]));
            // A scoring variant is kept like a category: the same cells over another set of positions.
            foreach (var (variant, stats) in s.Variants) groups.Add((variant, stats));
            foreach (var (category, stats) in groups)
                foreach (var metric in SplitFaithfulness.Metrics)
                {
                    var st = stats[metric];
                    if (st.Value is null && metric is SplitFaithfulness.AttentionJsd or SplitFaithfulness.AttentionJsdScored) continue;   // no head, no JSD
                    yield return new Statistics.SequenceOutcomes(new Statistics.OutcomeKey(seed, proxy.Proxy, proxy.Parameter, proxy.Site, proxy.Head, s.Split, category, metric),
                        st.Numerator.Select(x => (float)x).ToArray(), st.Denominator.Select(x => (float)x).ToArray());
                }
        }
    }

    /// <summary>The split-level cells only, kept under the given category name (the oracle control's).</summary>
    public static IEnumerable<Statistics.SequenceOutcomes> OutcomesAs(int seed, SplicedProxy proxy, IReadOnlyList<SplitFaithfulness> splits, string category) =>
        from s in splits
        from metric in SplitFaithfulness.Metrics
        let st = s.Stats[metric]
        where !(st.Value is null && metric is SplitFaithfulness.AttentionJsd or SplitFaithfulness.AttentionJsdScored)
        select new Statistics.SequenceOutcomes(new Statistics.OutcomeKey(seed, proxy.Proxy, proxy.Parameter, proxy.Site, proxy.Head, s.Split, category, metric),
            st.Numerator.Select(x => (float)x).ToArray(), st.Denominator.Select(x => (float)x).ToArray());

    public static IEnumerable<BreakdownRow> Breakdowns(int seed, SplicedProxy proxy, IReadOnlyList<SplitFaithfulness> splits) =>
        from s in splits
        from kv in s.Breakdown
        select new BreakdownRow(seed, proxy.Proxy, proxy.Parameter, proxy.Site, proxy.Head, s.Split, kv.Key.Breakdown, kv.Key.Key, kv.Key.Metric,
            kv.Value.N == 0 ? null : kv.Value.Num / kv.Value.N, kv.Value.N);

    /// <summary>Mean, sample standard deviation, min and max over seeds of each (proxy, parameter, site, head, split, metric).</summary>
    public static List<SummaryRow> Summarize(IEnumerable<FaithfulnessRow> rows) =>
        rows.GroupBy(r => (r.Proxy, r.Parameter, r.Site, r.Head, r.Split, r.Metric))
            .Select(g =>
            {
                var v = g.Where(r => r.Value is not null).Select(r => r.Value!.Value).ToArray();
                if (v.Length == 0) return new SummaryRow(g.Key.Proxy, g.Key.Parameter, g.Key.Site, g.Key.Head, g.Key.Split, g.Key.Metric, null, null, null, null, 0);
                double mean = v.Average();
                double std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
                return new SummaryRow(g.Key.Proxy, g.Key.Parameter, g.Key.Site, g.Key.Head, g.Key.Split, g.Key.Metric, mean, std, v.Min(), v.Max(), v.Length);
            }).ToList();
}
