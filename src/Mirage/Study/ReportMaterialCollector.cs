using Mirage.Evaluation;
using Mirage.Faithfulness;
using Mirage.Model;
using Mirage.Simplify;
using Mirage.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Study;

/// <summary>
/// Gathers what the report draws besides the numbers, from the first run: attention maps of the model and every proxy
/// on one readable example per example split (examples.json), and the first two principal components of each head's
/// keys and queries on the fit set and the deep split (pca_points.json).
/// </summary>
public sealed class ReportMaterialCollector(TaskData data, int batchSize)
{
    /// <summary>Long sequences (code windows) are cut to this many tokens: with causal attention the first n positions do not depend on the rest, so the cut maps are exact.</summary>
    public const int MaxExampleLength = 48;

    public List<ExampleMaps> Examples { get; } = new();
    public List<PcaPoints> PcaPoints { get; } = new();

    public void AddExamples(HookedTransformer model, int seed, string split, IReadOnlyList<int[]> seqs, IReadOnlyList<AttentionHead> heads, IReadOnlyList<Proxy> proxies)
    {
        var example = seqs.Where(s => s.Length is >= 18 and <= 42).FirstOrDefault() ?? seqs.OrderBy(s => s.Length).First();
        if (example.Length > MaxExampleLength + 1) example = example[..(MaxExampleLength + 1)];
        var tokens = example[..^1].Select(id => data.Task.Vocabulary[id]).ToList();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (input, _) = Batches.Make([example]);
        foreach (var head in heads)
        {
            string site = HookSites.Pattern(head.Layer);
            float[][] Pattern(Hooks? hooks)
            {
                using var cache = new ActivationCache(n => n == site);
                model.Run(input, hooks, cache);
                var p = cache[site][0, head.Head];
                return Enumerable.Range(0, (int)p.shape[0]).Select(i => p[i].data<float>().ToArray()).ToArray();
            }
            var maps = proxies.Where(f => f.Head == head).Select(f => new ProxyPattern(f.Name, f.Parameter, Pattern(f.Hooks()))).ToList();
            Examples.Add(new ExampleMaps(seed, split, tokens, head.Site, head.Head, Pattern(null), maps));
        }
    }

    /// <summary>First two principal components of each head's keys and queries: the fit set vs the deep split.</summary>
    public void AddPcaPoints(HookedTransformer model, int seed, IReadOnlyList<AttentionHead> heads, ActivationCapture fit, IReadOnlyList<int[]> fitSeqs, string fitSplit)
    {
        const int maxPoints = 1500;
        var deepName = data.Splits.ContainsKey(data.Task.DeepSplit) ? data.Task.DeepSplit : null;
        var deepSeqs = deepName is null ? new List<int[]>() : data.Splits[deepName].Take(200).ToList();
        using var deep = deepName is null ? null : ActivationCapture.Run(model, deepSeqs, batchSize);
        var fitDepth = DepthsAt(fit, fitSeqs);
        var deepDepth = deep is null ? [] : DepthsAt(deep, deepSeqs);
        foreach (var head in heads)
            foreach (var kind in new[] { "keys", "queries" })
            {
                using var scope = torch.NewDisposeScope();
                Tensor Pick(HeadActivations a) => kind == "keys" ? a.Keys : a.Queries;
                using var proj = PcaProxy.Projection.Fit(Pick(fit.Head(head.Layer, head.Head)), 2);
                var points = new List<PcaPoint>();
                void Add(ActivationCapture cap, int[] depth, string source)
                {
                    int n = (int)Math.Min(maxPoints, cap.Count);
                    // An evenly spaced subsample keeps the plot readable and the file small.
                    var idx = Enumerable.Range(0, n).Select(i => (long)(i * (cap.Count / (double)n))).ToArray();
                    var xy = proj.Project(Pick(cap.Head(head.Layer, head.Head)).index_select(0, torch.tensor(idx))).data<float>().ToArray();
                    for (int i = 0; i < n; i++) points.Add(new PcaPoint(xy[2 * i], xy[2 * i + 1], depth[idx[i]], source));
                }
                Add(fit, fitDepth, fitSplit);
                if (deep is not null) Add(deep, deepDepth, deepName!);
                PcaPoints.Add(new PcaPoints(seed, head.Site, head.Head, kind, proj.ExplainedVariance, points));
            }
    }

    /// <summary>Nesting depth after each captured position's token (the task's own notion of depth).</summary>
    int[] DepthsAt(ActivationCapture cap, IReadOnlyList<int[]> seqs)
    {
        var cacheBySeq = new Dictionary<int, int[]>();
        var result = new int[cap.Count];
        for (int i = 0; i < cap.Count; i++)
        {
            int s = cap.Sequence[i];
            if (!cacheBySeq.TryGetValue(s, out var depths)) cacheBySeq[s] = depths = data.Task.Depths(seqs[s]);
            result[i] = depths[cap.Position[i]];
        }
        return result;
    }
}
