using Mirage.Evaluation;
using Mirage.Model;
using Mirage.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Faithfulness;

/// <summary>
/// Runs the model and each spliced proxy on the same batches of a split and compares them at the task's scored
/// positions (docs/method.md §5, "Faithfulness metrics"). The model runs once per batch; each proxy once per batch,
/// from the first layer it acts in: the layers before it are the model's own, so their output is taken from the
/// model's pass (as TransformerLens's <c>start_at_layer</c>) — the same logits as a whole pass, in less time.
/// The task's scoring variants (Dyck: every closing bracket, beside the task metric's closers at least
/// min_distance back) are measured on the same forward passes.
/// </summary>
public static class FaithfulnessEvaluator
{
    /// <summary>One way of choosing the scored positions: the task metric's, or a variant's.</summary>
    sealed record Scoring(ISequenceTask Task, string? Variant);

    /// <param name="only">Evaluate only the sequences at these indices (the results keep every sequence's slot).</param>
    public static List<SplitFaithfulness> Evaluate(HookedTransformer model, ISequenceTask task, string split,
        IReadOnlyList<int[]> sequences, IReadOnlyList<SplicedProxy> proxies, int batchSize = Batches.EvalBatchSize, IReadOnlyList<int>? only = null,
        CancellationToken cancel = default)
    {
        using var noGrad = torch.no_grad();
        var variants = task.ScoringVariants;
        var results = proxies.Select(_ => new SplitFaithfulness(split, sequences.Count, task.Categories.Count, variants.Select(v => v.Name).ToList())).ToList();
        var scorings = new List<Scoring> { new(task, null) };
        scorings.AddRange(variants.Select(v => new Scoring(v.Task, v.Name)));
        var startLayers = proxies.Select(p => p.Hooks.FirstLayer).ToArray();
        var recorded = proxies.Where(p => p.Layer is not null).Select(p => p.PatternSite)
            .Concat(startLayers.Where(l => l > 0).Select(HookSites.ResidPre)).ToHashSet();
        foreach (var idx in Batches.ByLength(sequences, batchSize, only))
        {
            cancel.ThrowIfCancellationRequested();   // a split takes tens of seconds with every proxy: stop between batches
            using var scope = torch.NewDisposeScope();
            var seqs = Batches.Select(sequences, idx);
            var batches = scorings.Select(s => ScoredBatch.Of(s.Task, seqs, idx)).ToArray();
            var (input, _) = Batches.Make(seqs);
            // Every pass computes logits only where some scoring scores (the rest of the last block is position-wise;
            // rows null: everywhere); scoredRows[s] picks scoring s's positions out of them, for every pass.
            var (rows, scoredRows) = ScoredBatch.UnionRows(batches, input.shape[0], input.shape[1]);
            // Valid query positions: the input is ids[:-1], so a sequence of length L has L-1 real positions.
            var realLen = seqs.Select(s => s.Length - 1).ToArray();
            using var modelCache = new ActivationCache(recorded.Contains);
            var modelLogits = model.Run(input, cache: modelCache, rows: rows);
            var modelOut = scoredRows.Select(r => Predicted(r, modelLogits, task.CandidateIds)).ToArray();

            for (int pi = 0; pi < proxies.Count; pi++)
            {
                using var inner = torch.NewDisposeScope();
                var proxy = proxies[pi];
                var res = results[pi];
                using var cache = new ActivationCache(proxy.Layer is null ? _ => false : n => n == proxy.PatternSite);
                int from = startLayers[pi];
                var logits = from > 0 ? model.RunFrom(from, modelCache[HookSites.ResidPre(from)], proxy.Hooks, cache, rows) : model.Run(input, proxy.Hooks, cache, rows);
                float[]? jsd = null;   // [batch × t] row-major, the simplified head's JSD at every query position
                long t = 0;
                if (proxy.Layer is not null && proxy.Head is int h)
                {
                    var j = Divergences.Jsd(modelCache[proxy.PatternSite].select(1, h), cache[proxy.PatternSite].select(1, h));   // [batch, q]
                    t = j.shape[1];
                    jsd = j.contiguous().data<float>().ToArray();
                    for (int b = 0; b < seqs.Length; b++)
                        for (int q = 0; q < realLen[b]; q++)
                            res.Stats[SplitFaithfulness.AttentionJsd].Add(idx[b], jsd[b * t + q]);
                }
                for (int s = 0; s < scorings.Count; s++)
                {
                    var stats = scorings[s].Variant is string v ? res.Variants[v] : res.Stats;
                    Compare(batches[s], modelOut[s], Predicted(scoredRows[s], logits, task.CandidateIds), stats, scorings[s].Variant is null ? res : null, task, jsd, t);
                }
            }
        }
        return results;
    }

    sealed record Output(long[] Pred, Tensor LogP);

    static Output Predicted(Tensor scoredRows, Tensor logits, IReadOnlyList<int> candidates)
    {
        var scored = ScoredBatch.GatherFlat(logits, scoredRows);
        return new Output(ScoredBatch.Predict(scored, candidates), scored.log_softmax(-1));
    }

    /// <summary>
    /// Adds one batch's comparison at the positions of <paramref name="sb"/> to <paramref name="stats"/>; for the task
    /// metric's positions (<paramref name="main"/> given) also to the categories and the breakdowns.
    /// </summary>
    static void Compare(ScoredBatch sb, Output model, Output proxy, Dictionary<string, RatioStat> stats, SplitFaithfulness? main, ISequenceTask task, float[]? jsd, long t)
    {
        var kl = sb.Count == 0 ? [] : Divergences.KlFromLogProbs(model.LogP, proxy.LogP).data<float>().ToArray();
        var breakdowns = new List<(string, int)>(4);
        for (int i = 0; i < sb.Count; i++)
        {
            int seq = sb.Sequence[i];
            double agree = proxy.Pred[i] == model.Pred[i] ? 1 : 0, pAcc = proxy.Pred[i] == sb.Target[i] ? 1 : 0, mAcc = model.Pred[i] == sb.Target[i] ? 1 : 0;
            double? at = jsd is null ? null : jsd[sb.Row[i] * t + sb.Pos[i]];   // the head's JSD at the query that predicts this token
            void AddTo(Dictionary<string, RatioStat> d, bool allPositionsJsd)
            {
                d[SplitFaithfulness.Agreement].Add(seq, agree);
                d[SplitFaithfulness.ProxyAccuracy].Add(seq, pAcc);
                d[SplitFaithfulness.ModelAccuracy].Add(seq, mAcc);
                d[SplitFaithfulness.LogitKl].Add(seq, kl[i]);
                if (at is double a)
                {
                    d[SplitFaithfulness.AttentionJsdScored].Add(seq, a);
                    // A category (or variant) has no "all query positions" of its own: its JSD is at its positions.
                    if (allPositionsJsd) d[SplitFaithfulness.AttentionJsd].Add(seq, a);
                }
            }
            AddTo(stats, allPositionsJsd: false);
            if (main is null) continue;
            if (main.ByCategory.Count > 0) AddTo(main.ByCategory[sb.Category[i]], allPositionsJsd: true);
            breakdowns.Clear();
            breakdowns.Add(("depth", sb.Depth[i]));
            breakdowns.Add(("distance", sb.Distance[i]));
            // Per category by depth (code: closing brackets by the depth of the bracket they close).
            if (task.Categories.Count > 1) breakdowns.Add(($"depth:{task.Categories[sb.Category[i]]}", sb.Depth[i]));
            if (task.LengthBinWidth > 0)
            {
                int bin = LengthBins.Of(sb.Length[i], task.LengthBinWidth);
                breakdowns.Add(("length", bin));
                breakdowns.Add((LengthBins.DepthBreakdown(bin, task.LengthBinWidth), sb.Depth[i]));
            }
            foreach (var (breakdown, key) in breakdowns)
            {
                main.AddBreakdown(breakdown, key, SplitFaithfulness.Agreement, agree);
                main.AddBreakdown(breakdown, key, SplitFaithfulness.ProxyAccuracy, pAcc);
                main.AddBreakdown(breakdown, key, SplitFaithfulness.ModelAccuracy, mAcc);
            }
        }
    }
}
