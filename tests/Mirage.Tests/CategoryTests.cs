using Mirage.Evaluation;
using Mirage.Faithfulness;
using Mirage.Model;
using Mirage.Native;
using Mirage.Simplify;
using Mirage.Tasks;
using TorchSharp;

namespace Mirage.Tests;

/// <summary>Per-category faithfulness (the code task's question: which kind of position carries the gap?) and the bigram baseline.</summary>
public class CategoryTests
{
    [Fact]
    public void Category_metrics_partition_the_split_metrics_and_get_their_own_gaps()
    {
        TorchRuntime.Init();
        torch.manual_seed(0);
        using var model = new HookedTransformer(new ModelConfig { Layers = 1, Heads = 2, DModel = 16, DMlp = 32, ContextLength = 40, VocabSize = 7 });
        model.eval();
        var task = new ToyTask(categorized: true);
        var data = ToyTask.Data(seed: 5, train: 10, eval: 30);
        using var onehot = new OneHotProxy();
        onehot.Fit(null, HeadWeights.From(model.ToTransformerLensStateDict(), new AttentionHead(0, 1)), new AttentionHead(0, 1));
        var spliced = new SplicedProxy("onehot", null, "blocks.0.attn", 0, 1, onehot.Hooks());
        var splits = data.EvalSplits.Select(s => FaithfulnessEvaluator.Evaluate(model, task, s, data.Splits[s], [spliced])[0]).ToList();

        foreach (var sf in splits)
        {
            Assert.Equal(2, sf.ByCategory.Count);
            foreach (var metric in new[] { SplitFaithfulness.Agreement, SplitFaithfulness.ProxyAccuracy, SplitFaithfulness.LogitKl, SplitFaithfulness.AttentionJsd })
            {
                var parts = sf.ByCategory.Select(c => c[metric]).ToList();
                // Every scored position is in exactly one category...
                Assert.Equal(sf.Stats[SplitFaithfulness.Agreement].Total, parts.Sum(p => p.Total));
                if (metric == SplitFaithfulness.AttentionJsd) { Assert.All(parts, p => Assert.InRange(p.Value!.Value, 0, 1)); continue; }
                // ...so the split's value is the count-weighted mean of the categories'.
                Assert.Equal(sf.Stats[metric].Value!.Value, parts.Sum(p => p.Value!.Value * p.Total) / parts.Sum(p => p.Total), 5);
            }
        }
        var rows = FaithfulnessRows.ForCategories(0, "r", spliced, splits, task.Categories, new Bootstrap(0, 100)).ToList();
        Assert.Equal(["closer_0", "closer_1"], rows.Select(r => r.Category).Distinct().Order());
        var gap = Assert.Single(rows, r => r.Category == "closer_1" && r.Split == "unseen_depth" && r.Metric == "agreement_gap");
        double iid = rows.Single(r => r.Category == "closer_1" && r.Split == "iid" && r.Metric == "agreement").Value!.Value;
        double deep = rows.Single(r => r.Category == "closer_1" && r.Split == "unseen_depth" && r.Metric == "agreement").Value!.Value;
        Assert.Equal(iid - deep, gap.Value!.Value, 10);
        Assert.True(gap.CiLow <= gap.Value && gap.Value <= gap.CiHigh);
        // A single-category task gets no per-category rows (its split rows already say it all).
        var plain = FaithfulnessEvaluator.Evaluate(model, new ToyTask(), "iid", data.Splits["iid"], [spliced])[0];
        Assert.Empty(plain.ByCategory);
    }

    [Fact]
    public void Bigram_baseline_predicts_the_most_frequent_successor_among_the_candidates()
    {
        var task = new ToyTask(categorized: true);
        // ids: 3 = (0, 4 = (1, 5 = )0, 6 = )1. After "(0" the next token in train is ")0" twice and "(1" once, but
        // only closers are candidates; after "(1" it is ")1".
        int[][] train = [[1, 3, 5, 2], [1, 3, 5, 2], [1, 3, 4, 6, 5, 2]];
        var bigram = BigramBaseline.Fit(task, train);
        Assert.Equal(5, bigram.Predict(3));
        Assert.Equal(6, bigram.Predict(4));
        // Scored: ")1" after "(1", "(0"'s ")0", and ")0" after ")1" (seen once in train): all right.
        var rows = bigram.Evaluate(task, "iid", [[1, 4, 6, 2], [1, 3, 4, 6, 5, 2]]).ToList();
        var all = Assert.Single(rows, r => r.Category == "all");
        Assert.Equal((3, 3), (all.Scored, all.Correct));
        Assert.Equal(["all", "closer_0", "closer_1"], rows.Select(r => r.Category));
        // After ")0" train only has END, not a candidate: the fallback is the most frequent closer, ")0"; the target is ")1".
        var wrong = bigram.Evaluate(task, "x", [[1, 4, 3, 5, 6, 2]]).Single(r => r.Category == "all");
        Assert.Equal((2, 1), (wrong.Scored, wrong.Correct));
    }
}
