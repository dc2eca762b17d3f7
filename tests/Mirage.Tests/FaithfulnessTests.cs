using Mirage.Faithfulness;
using Mirage.Native;
using TorchSharp;

namespace Mirage.Tests;

public class FaithfulnessTests
{
    [Fact]
    public void Jsd_is_zero_for_equal_rows_one_for_disjoint_rows_and_symmetric()
    {
        TorchRuntime.Init();
        var p = torch.tensor(new float[] { 0.5f, 0.5f, 0, 1, 0, 0, 0.2f, 0.3f, 0.5f }, 3, 3);
        var q = torch.tensor(new float[] { 0.5f, 0.5f, 0, 0, 0, 1, 0.5f, 0.3f, 0.2f }, 3, 3);
        var j = Divergences.Jsd(p, q).data<float>().ToArray();
        Assert.Equal(0, j[0], 6);
        Assert.Equal(1, j[1], 5);
        Assert.InRange(j[2], 0.01, 0.99);
        Assert.Equal(j, Divergences.Jsd(q, p).data<float>().ToArray());
    }

    [Fact]
    public void Kl_from_log_probs_matches_the_definition()
    {
        TorchRuntime.Init();
        var lp = torch.tensor(new double[] { 0.7, 0.3 }).log().unsqueeze(0);
        var lq = torch.tensor(new double[] { 0.4, 0.6 }).log().unsqueeze(0);
        double expected = 0.7 * Math.Log(0.7 / 0.4) + 0.3 * Math.Log(0.3 / 0.6);
        Assert.Equal(expected, Divergences.KlFromLogProbs(lp, lq).item<double>(), 10);
    }

    [Fact]
    public void Bootstrap_interval_brackets_the_value_depends_only_on_seed_and_split_and_collapses_on_constant_data()
    {
        var s = new RatioStat(200);
        var rng = new Random(1);
        for (int i = 0; i < 200; i++) s.Add(i, rng.Next(2), 1);
        var a = new Bootstrap(3).Interval(s, "iid")!.Value;
        Assert.Equal(a, new Bootstrap(3).Interval(s, "iid")!.Value);
        Assert.NotEqual(a, new Bootstrap(4).Interval(s, "iid")!.Value);
        Assert.NotEqual(a, new Bootstrap(3).Interval(s, "unseen_depth")!.Value);
        Assert.True(a.Low < s.Value && s.Value < a.High);
        Assert.InRange(a.High - a.Low, 0.05, 0.2);    // about ±1.96·sqrt(.25/200) = ±0.07
        var c = new RatioStat(50);
        for (int i = 0; i < 50; i++) c.Add(i, 2, 2);
        Assert.Equal((1.0, 1.0), new Bootstrap(1).Interval(c, "iid")!.Value);
        var gap = new Bootstrap(4).DifferenceInterval(c, "iid", s, "unseen_depth")!.Value;
        Assert.True(gap.Low > 0 && gap.Low < 1 - s.Value!.Value && gap.High > 1 - s.Value.Value);
    }

    [Fact]
    public void Every_cell_on_a_split_is_resampled_with_the_same_draws()
    {
        // Common random numbers: two metrics counted on the same sequences move together from replicate to replicate.
        // A metric that is the other's complement (wrong = scored − agreeing) must get the mirrored interval exactly.
        var agree = new RatioStat(300);
        var wrong = new RatioStat(300);
        var rng = new Random(5);
        for (int i = 0; i < 300; i++)
        {
            int scored = 1 + rng.Next(10), ok = rng.Next(scored + 1);
            agree.Add(i, ok, scored);
            wrong.Add(i, scored - ok, scored);
        }
        var bootstrap = new Bootstrap(9, 400);
        var a = bootstrap.Interval(agree, "iid")!.Value;
        var w = bootstrap.Interval(wrong, "iid")!.Value;
        Assert.Equal(1 - a.High, w.Low, 12);
        Assert.Equal(1 - a.Low, w.High, 12);
    }

    [Fact]
    public void Rows_hold_values_intervals_and_gaps_against_iid()
    {
        var iid = new SplitFaithfulness("iid", 2);
        var ood = new SplitFaithfulness("unseen_depth", 2);
        foreach (var m in SplitFaithfulness.Metrics) { iid.Stats[m].Add(0, 1); iid.Stats[m].Add(1, 1); ood.Stats[m].Add(0, 0); ood.Stats[m].Add(1, 1); }
        var proxy = new SplicedProxy("pca", 4, "blocks.1.attn", 1, 0, new Model.Hooks());
        var rows = FaithfulnessRows.For(7, "r", proxy, [iid, ood], new Bootstrap(7, 200)).ToList();
        var gap = Assert.Single(rows, r => r.Metric == "agreement_gap");
        Assert.Equal("unseen_depth", gap.Split);
        Assert.Equal(0.5, gap.Value);
        Assert.Equal(SplitFaithfulness.Metrics.Length * 3, rows.Count);   // every metric on 2 splits, and its gap
        var summary = FaithfulnessRows.Summarize(rows.Concat(rows.Select(r => r with { Seed = 8, Value = r.Value + 0.1 })));
        var s = Assert.Single(summary, x => x.Metric == "agreement" && x.Split == "iid");
        Assert.Equal(1.05, s.Mean!.Value, 10);
        Assert.Equal(2, s.Seeds);
    }
}
