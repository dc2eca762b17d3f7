using Mirage.Evaluation;
using Mirage.Model;
using Mirage.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Faithfulness;

/// <summary>
/// Runs the model and each spliced proxy on the same batches of a split and compares them at the task's scored
/// positions (docs/method.md §5, "Faithfulness metrics"). The model runs once per batch; each proxy once per batch.
/// </summary>
public static class FaithfulnessEvaluator
{
    public static List<SplitFaithfulness> Evaluate(HookedTransformer model, ISequenceTask task, string split,
        IReadOnlyList<int[]> sequences, IReadOnlyList<SplicedProxy> proxies, int batchSize = 256)
    {
        using var noGrad = torch.no_grad();
        var results = proxies.Select(_ => new SplitFaithfulness(split, sequences.Count, task.Categories.Count)).ToList();
        var patternSites = proxies.Where(p => p.Layer is not null).Select(p => p.PatternSite).ToHashSet();
        foreach (var idx in Batches.ByLength(sequences, batchSize))
        {
            using var scope = torch.NewDisposeScope();
            var seqs = Batches.Select(sequences, idx);
            var sb = ScoredBatch.Of(task, seqs, idx);
            var (input, _) = Batches.Make(seqs);
            // Valid query positions: the input is ids[:-1], so a sequence of length L has L-1 real positions.
            var realLen = seqs.Select(s => s.Length - 1).ToArray();
            using var modelCache = new ActivationCache(patternSites.Contains);
            var modelLogits = model.Run(input, cache: modelCache);
            var modelScored = sb.Gather(modelLogits);
            var modelPred = ScoredBatch.Predict(modelScored, task.CandidateIds);
            var modelLogP = modelScored.log_softmax(-1);

            for (int pi = 0; pi < proxies.Count; pi++)
            {
                using var inner = torch.NewDisposeScope();
                var proxy = proxies[pi];
                var res = results[pi];
                using var cache = new ActivationCache(proxy.Layer is null ? _ => false : n => n == proxy.PatternSite);
                var logits = model.Run(input, proxy.Hooks, cache);
                var scored = sb.Gather(logits);
                var pred = ScoredBatch.Predict(scored, task.CandidateIds);
                var kl = sb.Count == 0 ? [] : Divergences.KlFromLogProbs(modelLogP, scored.log_softmax(-1)).data<float>().ToArray();
                for (int i = 0; i < sb.Count; i++)
                {
                    int seq = sb.Sequence[i];
                    double agree = pred[i] == modelPred[i] ? 1 : 0, pAcc = pred[i] == sb.Target[i] ? 1 : 0, mAcc = modelPred[i] == sb.Target[i] ? 1 : 0;
                    res.Stats[SplitFaithfulness.Agreement].Add(seq, agree);
                    res.Stats[SplitFaithfulness.ProxyAccuracy].Add(seq, pAcc);
                    res.Stats[SplitFaithfulness.ModelAccuracy].Add(seq, mAcc);
                    res.Stats[SplitFaithfulness.LogitKl].Add(seq, kl[i]);
                    if (res.ByCategory.Count > 0)
                    {
                        var c = res.ByCategory[sb.Category[i]];
                        c[SplitFaithfulness.Agreement].Add(seq, agree);
                        c[SplitFaithfulness.ProxyAccuracy].Add(seq, pAcc);
                        c[SplitFaithfulness.ModelAccuracy].Add(seq, mAcc);
                        c[SplitFaithfulness.LogitKl].Add(seq, kl[i]);
                    }
                    var breakdowns = new List<(string, int)> { ("depth", sb.Depth[i]), ("distance", sb.Distance[i]) };
                    if (task.LengthBinWidth > 0)
                    {
                        int bin = LengthBins.Of(LengthBins.LengthOf(seqs[sb.Row[i]]), task.LengthBinWidth);
                        breakdowns.Add(("length", bin));
                        breakdowns.Add((LengthBins.DepthBreakdown(bin, task.LengthBinWidth), sb.Depth[i]));
                    }
                    foreach (var (breakdown, key) in breakdowns)
                    {
                        res.AddBreakdown(breakdown, key, SplitFaithfulness.Agreement, agree);
                        res.AddBreakdown(breakdown, key, SplitFaithfulness.ProxyAccuracy, pAcc);
                        res.AddBreakdown(breakdown, key, SplitFaithfulness.ModelAccuracy, mAcc);
                    }
                }
                if (proxy.Layer is not null && proxy.Head is int h)
                {
                    var mp = modelCache[proxy.PatternSite].select(1, h);   // [batch, q, k]
                    var pp = cache[proxy.PatternSite].select(1, h);
                    var jsd = Divergences.Jsd(mp, pp);                       // [batch, q]
                    long t = jsd.shape[1];
                    var flat = jsd.contiguous().data<float>().ToArray();
                    for (int b = 0; b < seqs.Length; b++)
                        for (int q = 0; q < realLen[b]; q++)
                            res.Stats[SplitFaithfulness.AttentionJsd].Add(idx[b], flat[b * t + q]);
                    // At the query positions that predict scored tokens (per category: those of its tokens).
                    for (int i = 0; i < sb.Count; i++)
                    {
                        double at = flat[sb.Row[i] * t + sb.Pos[i]];
                        res.Stats[SplitFaithfulness.AttentionJsdScored].Add(sb.Sequence[i], at);
                        if (res.ByCategory.Count > 0)
                        {
                            res.ByCategory[sb.Category[i]][SplitFaithfulness.AttentionJsd].Add(sb.Sequence[i], at);
                            res.ByCategory[sb.Category[i]][SplitFaithfulness.AttentionJsdScored].Add(sb.Sequence[i], at);
                        }
                    }
                }
            }
        }
        return results;
    }
}
