using Mirage.Reports;
using Mirage.Statistics;

namespace Mirage.Tests;

/// <summary>The study's statistics and findings on synthetic outcomes with a planted truth.</summary>
public class StatisticsTests
{
    static readonly string[] Splits = ["iid", "ood"];

    [Fact]
    public void Benjamini_Hochberg_q_values_match_a_hand_computation()
    {
        // m = 5; sorted p: 0.001, 0.01, 0.02, 0.04, 0.5 → m p / rank: 0.005, 0.025, 0.0333, 0.05, 0.5; then running minimum from the top.
        var q = BenjaminiHochberg.QValues([0.04, 0.001, 0.5, 0.02, 0.01]);
        Assert.Equal([0.05, 0.005, 0.5, 0.1 / 3, 0.025], q.Select(x => Math.Round(x, 6)), new RoundedEquality());
        Assert.True(double.IsNaN(BenjaminiHochberg.QValues([double.NaN, 0.01])[0]));
        Assert.Equal(0.01, BenjaminiHochberg.QValues([double.NaN, 0.01])[1], 12);   // NaN is not counted in m
    }

    sealed class RoundedEquality : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-6;
        public int GetHashCode(double x) => 0;
    }

    [Fact]
    public void Bootstrap_draws_are_shared_so_a_vector_resamples_the_same_alone_or_with_others()
    {
        // The statistics resample one target's vectors at a time: this is only the study's bootstrap if a vector's
        // replicate sums do not depend on the vectors resampled beside it, and every draw takes n sequences.
        const int n = 37, resamples = 500;
        var rng = new Random(3);
        var vectors = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, n).Select(_ => rng.Next(0, 9)).ToArray()).ToList();
        var together = new SequenceDraws(n, resamples, 11).Sums(vectors);
        for (int v = 0; v < vectors.Count; v++)
            Assert.Equal(together[v], new SequenceDraws(n, resamples, 11).Sums([vectors[v]])[0]);
        var ones = new SequenceDraws(n, resamples, 11).Sums([Enumerable.Repeat(1, n).ToArray()])[0];
        Assert.All(ones, s => Assert.Equal(n, s));
        // Each sequence's count, summed over all sequences, is n; and the draws vary (not every sequence once).
        var indicators = Enumerable.Range(0, n).Select(j => Enumerable.Range(0, n).Select(i => i == j ? 1 : 0).ToArray()).ToList();
        var perSequence = new SequenceDraws(n, resamples, 11).Sums(indicators);
        for (int b = 0; b < resamples; b++) Assert.Equal(n, perSequence.Sum(c => c[b]));
        Assert.Contains(perSequence, c => c.Any(x => x == 0));
        Assert.NotEqual(together[0], new SequenceDraws(n, resamples, 12).Sums([vectors[0]])[0]);
    }

    [Fact]
    public void Ratios_under_the_draws_are_the_ratio_of_the_draws_integer_sums()
    {
        // Ratios (double values, for the per-seed intervals) and Sums (integer counts, for the pooled statistics) are
        // two paths over the same draws: on integer vectors they must agree, and an empty denominator gives NaN.
        const int n = 41, resamples = 300;
        var rng = new Random(8);
        var num = Enumerable.Range(0, n).Select(_ => rng.Next(0, 5)).ToArray();
        var den = num.Select(x => x + rng.Next(0, 3)).ToArray();
        var draws = new SequenceDraws(n, resamples, 21);
        var sums = draws.Sums([num, den]);
        var ratios = draws.Ratios(num.Select(x => (double)x).ToArray(), den.Select(x => (double)x).ToArray());
        for (int b = 0; b < resamples; b++) Assert.Equal((double)sums[0][b] / sums[1][b], ratios[b], 12);
        Assert.All(draws.Ratios(new double[n], new double[n]), r => Assert.True(double.IsNaN(r)));
        Assert.Throws<ArgumentException>(() => draws.Ratios(new double[n - 1], new double[n - 1]));
    }

    [Fact]
    public void A_planted_gap_is_significant_and_its_pooled_interval_covers_it()
    {
        var syn = new SyntheticOutcomes(seeds: 3, sequences: 300, positions: 8, randomSeed: 1);
        syn.Add("pca", 4, "iid", agree: 0.95);
        syn.Add("pca", 4, "ood", agree: 0.88);
        var st = StudyStatistics.Compute(syn.Cells, Splits, ["iid"], "iid", resamples: 2000);
        var gap = st.Find(StudyStatistics.AgreementGap, "pca", 4, "blocks.0.attn", 0, "ood")!;
        Assert.True(gap.Significant, $"gap {gap.Estimate} q {gap.QValue}");
        Assert.InRange(0.07, gap.CiLow!.Value, gap.CiHigh!.Value);
        Assert.InRange(gap.Estimate!.Value, 0.06, 0.08);
        Assert.Equal(3, gap.Seeds);
        // The accuracy test is exactly null here (the proxy is right exactly when the model is): never a discovery.
        Assert.False(st.Find(StudyStatistics.AccuracyVsModel, "pca", 4, "blocks.0.attn", 0, "ood")!.Significant);
    }

    [Fact]
    public void Null_points_keep_the_share_of_false_discoveries_within_the_controlled_rate()
    {
        // 10 studies, each with 100 null points and 10 planted gaps: the false discoveries among all discoveries stay
        // within the 5 % rate on average, and the planted gaps are found.
        int falseFound = 0, found = 0, plantedFound = 0;
        for (int study = 0; study < 10; study++)
        {
            var syn = new SyntheticOutcomes(seeds: 3, sequences: 120, positions: 6, randomSeed: 100 + study);
            for (int p = 0; p < 110; p++)
            {
                syn.Add("pca", p, "iid", agree: 0.9);
                syn.Add("pca", p, "ood", agree: p < 100 ? 0.9 : 0.8);
            }
            var st = StudyStatistics.Compute(syn.Cells, Splits, ["iid"], "iid", resamples: 2000);
            var gaps = st.Tests.Where(t => t.Test == StudyStatistics.AgreementGap).ToList();
            Assert.Equal(110, gaps.Count);
            found += gaps.Count(t => t.Significant);
            falseFound += gaps.Count(t => t.Significant && t.Parameter < 100);
            plantedFound += gaps.Count(t => t.Significant && t.Parameter >= 100);
        }
        Assert.True(plantedFound >= 90, $"found only {plantedFound} of 100 planted gaps");
        Assert.True(falseFound <= 0.05 * found, $"{falseFound} false discoveries among {found}");
    }

    [Fact]
    public void A_gap_carried_by_one_seed_of_three_is_not_significant_though_the_same_gap_in_every_seed_is()
    {
        var syn = new SyntheticOutcomes(seeds: 1, sequences: 400, positions: 8, randomSeed: 7);
        syn.Add("pca", 1, "iid", agree: 0.95);
        syn.Add("pca", 1, "ood", agree: 0.85);
        // Seeds 1 and 2: no gap, on the same sequences.
        var others = new SyntheticOutcomes(seeds: 3, sequences: 400, positions: 8, randomSeed: 8);
        others.Add("pca", 1, "iid", agree: 0.95);
        others.Add("pca", 1, "ood", agree: 0.95);
        var cells = syn.Cells.Concat(others.Cells.Where(c => c.Key.Seed > 0)).ToList();
        var oneSeed = StudyStatistics.Compute(cells, Splits, ["iid"], "iid", resamples: 4000).Find(StudyStatistics.AgreementGap, "pca", 1, "blocks.0.attn", 0, "ood")!;
        Assert.False(oneSeed.Significant, $"p {oneSeed.PValue}: a single seed's gap must not carry the pooled test");
        Assert.True(oneSeed.CiLow <= 0.005, $"interval [{oneSeed.CiLow}, {oneSeed.CiHigh}] ignores the seeds without a gap");

        var every = new SyntheticOutcomes(seeds: 3, sequences: 400, positions: 8, randomSeed: 9);
        every.Add("pca", 1, "iid", agree: 0.95);
        every.Add("pca", 1, "ood", agree: 0.85);
        Assert.True(StudyStatistics.Compute(every.Cells, Splits, ["iid"], "iid", resamples: 4000).Find(StudyStatistics.AgreementGap, "pca", 1, "blocks.0.attn", 0, "ood")!.Significant);
    }

    [Fact]
    public void A_proxy_more_accurate_than_the_model_is_found_and_named_in_the_findings()
    {
        var syn = new SyntheticOutcomes(seeds: 3, sequences: 300, positions: 8, randomSeed: 3);
        foreach (var r in new[] { 1, 2, 4 })
        {
            syn.Add("pca", r, "iid", agree: 0.97, modelAccuracy: 0.95);
            // On ood the model errs 30 % of the time and the rank-4 proxy fixes half of those errors.
            syn.Add("pca", r, "ood", agree: 0.85, modelAccuracy: 0.7, proxyFixes: r == 4 ? 0.5 : 0);
        }
        var results = syn.Results(Splits, resamples: 2000);
        var better = results.Statistics.Find(StudyStatistics.AccuracyVsModel, "pca", 4, "blocks.0.attn", 0, "ood")!;
        Assert.True(better.Significant && better.Estimate > 0.1, $"{better.Estimate} q {better.QValue}");
        Assert.False(results.Statistics.Find(StudyStatistics.AccuracyVsModel, "pca", 2, "blocks.0.attn", 0, "ood")!.Significant);
        var findings = Findings.From(results);
        var line = Assert.Single(findings, f => f.StartsWith("More accurate than the model"));
        Assert.Contains("pca r=4 at blocks.0.attn head 0 on ood", line);
        Assert.DoesNotContain("pca r=2", line);
    }

    [Fact]
    public void Findings_state_where_along_the_sweep_a_gap_holds_and_where_it_does_not()
    {
        var syn = new SyntheticOutcomes(seeds: 3, sequences: 300, positions: 8, randomSeed: 5);
        foreach (var (r, ood) in new[] { (1, 0.80), (4, 0.86), (16, 0.90), (64, 0.97) })
        {
            syn.Add("pca", r, "iid", agree: 0.97);
            syn.Add("pca", r, "ood", agree: ood);
        }
        var findings = Findings.From(syn.Results(Splits, resamples: 2000));
        var line = Assert.Single(findings, f => f.StartsWith("pca at blocks.0.attn head 0"));
        Assert.Contains("below iid on ood at every r up to 16 (gap 0.07–0.17)", line);
        Assert.Contains("no significant drop on any split at r = 64", line);
        Assert.Contains("yet significantly less faithful out of it at r = 1, 4, 16", line);
        Assert.Contains(findings, f => f.StartsWith("No proxy is significantly more accurate than the model"));
    }

    [Fact]
    public void Gaps_are_measured_against_every_reference_split_and_the_findings_lead_with_the_chosen_one()
    {
        // The proxy agrees as well on ood as on iid, but better on the easy seen split: no gap against iid, a gap against seen.
        var syn = new SyntheticOutcomes(seeds: 3, sequences: 300, positions: 8, randomSeed: 21);
        syn.Add("pca", 4, "iid", agree: 0.90);
        syn.Add("pca", 4, "seen", agree: 0.97);
        syn.Add("pca", 4, "ood", agree: 0.90);
        string[] splits = ["iid", "seen", "ood"];
        var byIid = syn.Results(splits, resamples: 2000, references: ["iid", "seen"]);
        Assert.False(byIid.Statistics.Find(StudyStatistics.AgreementGap, "pca", 4, "blocks.0.attn", 0, "ood")!.Significant);
        Assert.True(byIid.Statistics.Find(StudyStatistics.AgreementGap, "pca", 4, "blocks.0.attn", 0, "ood", reference: "seen")!.Significant);
        var findings = Findings.From(byIid);
        Assert.Contains(findings, f => f.StartsWith("pca at blocks.0.attn head 0") && f.Contains("below seen") == false && f.Contains("above iid on seen"));
        Assert.Contains(findings, f => f.StartsWith("[against seen] pca at blocks.0.attn head 0") && f.Contains("below seen on ood"));

        var bySeen = syn.Results(splits, resamples: 2000, references: ["iid", "seen"], lead: "seen");
        Assert.Contains(Findings.From(bySeen), f => f.StartsWith("pca at blocks.0.attn head 0") && f.Contains("below seen on ood at r = 4"));
        Assert.Contains("--reference-split java", Assert.Throws<UserError>(() => syn.Results(splits, 200, ["iid", "seen"], "java").Statistics).Message);
    }

    [Fact]
    public void The_gap_between_two_reference_splits_is_one_test_of_the_family_whichever_way_it_is_measured()
    {
        var syn = new SyntheticOutcomes(seeds: 3, sequences: 300, positions: 8, randomSeed: 23);
        foreach (var (p, seen) in new[] { ("pca", 0.97), ("kmeans", 0.93) })
        {
            syn.Add(p, 4, "iid", agree: 0.90);
            syn.Add(p, 4, "seen", agree: seen);
            syn.Add(p, 4, "ood", agree: 0.85);
        }
        var st = StudyStatistics.Compute(syn.Cells, ["iid", "seen", "ood"], ["iid", "seen"], "iid", resamples: 2000);
        foreach (var p in new[] { "pca", "kmeans" })
        {
            var there = st.Find(StudyStatistics.AgreementGap, p, 4, "blocks.0.attn", 0, "seen")!;                    // iid − seen
            var back = st.Find(StudyStatistics.AgreementGap, p, 4, "blocks.0.attn", 0, "iid", reference: "seen")!;  // seen − iid
            Assert.Equal(-there.Estimate!.Value, back.Estimate!.Value, 12);
            Assert.Equal(there.PValue, back.PValue);
            Assert.Equal(there.QValue, back.QValue);
            Assert.Equal(there.Significant, back.Significant);
            Assert.False(st.IsMirror(there));
            Assert.True(st.IsMirror(back));
        }
        // Per proxy: gaps iid−seen, iid−ood, seen−ood (the mirror seen−iid not counted), the length-free accuracy tests
        // on seen and ood: 5 tests each.
        Assert.Equal(10, st.TestCount);
        Assert.Equal(12, st.Tests.Count());
        // The q-values are those of a family without the mirrors: BH over the ten p-values.
        var family = st.Tests.Where(r => !st.IsMirror(r)).ToList();
        var q = BenjaminiHochberg.QValues(family.Select(r => r.PValue ?? double.NaN).ToList());
        Assert.Equal(q.Select(x => (double?)x), family.Select(r => r.QValue));
    }

    [Fact]
    public void A_planted_length_effect_is_attributed_to_length_and_a_planted_depth_effect_is_not()
    {
        // Length: agreement falls with length on both splits alike; ood's strings are longer. Depth: ood agrees less at every length.
        var syn = new SyntheticOutcomes(seeds: 3, sequences: 400, positions: 8, randomSeed: 31);
        syn.Lengths("iid", 4, 64);
        syn.Lengths("ood", 33, 128);
        syn.Add("pca", 1, "iid", agree: 0, agreeAtLength: l => l <= 64 ? 0.97 : 0.80);
        syn.Add("pca", 1, "ood", agree: 0, agreeAtLength: l => l <= 64 ? 0.97 : 0.80);
        syn.Add("pca", 2, "iid", agree: 0.97);
        syn.Add("pca", 2, "ood", agree: 0.90);
        var r = syn.Results(Splits, resamples: 2000, lengthBinWidth: 32);
        var st = r.Statistics;
        var lengthRaw = st.Find(StudyStatistics.AgreementGap, "pca", 1, "blocks.0.attn", 0, "ood")!;
        var lengthMatched = st.Find(StudyStatistics.AgreementGapLengthMatched, "pca", 1, "blocks.0.attn", 0, "ood")!;
        Assert.True(lengthRaw.Significant && lengthRaw.Estimate > 0.05, $"raw gap {lengthRaw.Estimate}");
        Assert.False(lengthMatched.Significant, $"length-matched gap {lengthMatched.Estimate} q {lengthMatched.QValue}");
        var depthMatched = st.Find(StudyStatistics.AgreementGapLengthMatched, "pca", 2, "blocks.0.attn", 0, "ood")!;
        Assert.True(depthMatched.Significant && Math.Abs(depthMatched.Estimate!.Value - 0.07) < 0.02, $"length-matched gap {depthMatched.Estimate}");
        var line = Assert.Single(Findings.From(r), f => f.StartsWith("Depth or length — pca at blocks.0.attn head 0 on ood"));
        Assert.Contains("holds at r = 2", line);
        Assert.Contains("is not significant at r = 1", line);
    }

    [Fact]
    public void An_oracle_fit_that_closes_a_planted_shift_gap_is_called_shift_and_one_that_does_not_capacity()
    {
        // r = 1: the train-fitted proxy drops on ood, the proxy fitted on ood does not (shift). r = 2: both drop (capacity).
        var syn = new SyntheticOutcomes(seeds: 3, sequences: 300, positions: 8, randomSeed: 41);
        foreach (var (r, ownOod) in new[] { (1, 0.96), (2, 0.88) })
        {
            syn.Add("pca", r, "iid", agree: 0.96);
            syn.Add("pca", r, "ood", agree: 0.88);
            syn.Add("pca", r, "iid", agree: 0.96, category: Mirage.Statistics.OutcomeKey.OracleTrainFit);
            syn.Add("pca", r, "ood", agree: 0.88, category: Mirage.Statistics.OutcomeKey.OracleTrainFit);
            syn.Add("pca", r, "iid", agree: 0.96, category: Mirage.Statistics.OutcomeKey.OracleSplitFit);
            syn.Add("pca", r, "ood", agree: ownOod, category: Mirage.Statistics.OutcomeKey.OracleSplitFit);
        }
        var results = syn.Results(Splits, resamples: 2000, oracle: true);
        var line = Assert.Single(Findings.From(results), f => f.StartsWith("Capacity or shift — pca at blocks.0.attn head 0"));
        Assert.Contains("the fit on the split closes the gap at ood r=1", line);
        Assert.Contains("the gap survives a fit on the split itself at ood r=2", line);
    }

    [Fact]
    public void Outcomes_round_trip_through_safetensors_and_a_foreign_tensor_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("mirage-outcomes-").FullName;
        try
        {
            var syn = new SyntheticOutcomes(seeds: 2, sequences: 5, positions: 3, randomSeed: 11);
            syn.Add("kmeans", 8, "iid", agree: 0.5);
            var path = Path.Combine(dir, OutcomesFile.FileName);
            OutcomesFile.Write(path, syn.Cells);
            var back = OutcomesFile.Read(path);
            Assert.Equal(syn.Cells.Count, back.Count);
            foreach (var c in syn.Cells)
            {
                var b = Assert.Single(back, x => x.Key == c.Key);
                Assert.Equal(c.Numerator, b.Numerator);
                Assert.Equal(c.Denominator, b.Denominator);
            }
            Mirage.IO.SafetensorsFile.Write(path, [new Mirage.IO.RawTensor("weights", "F32", [1], new byte[4])]);
            Assert.Contains("not a per-sequence outcome", Assert.Throws<UserError>(() => OutcomesFile.Read(path)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
