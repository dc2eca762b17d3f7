using Mirage.Evaluation;
using Mirage.Model;
using Mirage.Native;
using Mirage.Simplify;
using Mirage.Tasks;
using Mirage.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Faithfulness;

/// <summary>
/// The study's steps 3–6 for one or more trained runs (seeds): capture queries and keys on the fit set, fit every
/// proxy of every sweep at every head, splice each into the model on every evaluation split, and measure.
/// </summary>
public sealed class SimplifyRunner(TaskData data, SimplifyConfig config)
{
    /// <summary>Reports (what is being done, fraction done of this run).</summary>
    public Action<string, double>? Progress { get; init; }

    /// <summary>How results name a run or data directory (the CLI: relative to the results directory's parent).</summary>
    public Func<string, string> PathLabel { get; init; } = p => p;

    /// <summary>Stops the run at its next step (the results are then never written).</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>
    /// Sequences actually fitted on: --fit-n, or the whole fit split when it is smaller (recorded in the manifest as
    /// fit_n, never the larger number asked for).
    /// </summary>
    public int FitN => Math.Min(config.FitN, data.Splits.TryGetValue(config.FitSplit, out var s) ? s.Count : config.FitN);

    /// <summary>
    /// Every check of the settings and runs that needs no computation: proxies, sweeps, sites, heads, the runs'
    /// checkpoints (weights finite) against the data. The CLI calls it before it claims the output directory.
    /// </summary>
    public List<(string Run, CheckpointInfo Info)> Check(IReadOnlyList<string> runs)
    {
        if (config.Threads < 1) throw new UserError($"--threads must be >= 1, found {config.Threads}");
        if (runs.Count == 0) throw new UserError("no run given; pass --run RUN (several for several seeds)");
        foreach (var p in config.Proxies) ProxyCatalog.CheckName(p);
        if (!data.Splits.ContainsKey(config.FitSplit)) throw new UserError($"--fit-split {config.FitSplit}: no such split in {data.Directory} (splits: {string.Join(", ", data.SplitNames)})");
        if (config.FitN < 1) throw new UserError($"--fit-n must be >= 1, found {config.FitN}");

        var infos = runs.Select(r => (Run: r, Info: Checkpoint.LoadInfo(r))).ToList();
        var first = infos[0].Info;
        foreach (var (r, info) in infos)
        {
            Checkpoint.CheckVocabulary(info, r, data);
            if (info.Model != first.Model) throw new UserError($"{r}: model config differs from {infos[0].Run}'s; runs aggregated together must share a shape");
        }
        var seeds = infos.Select(x => x.Info.Training.Seed).ToList();
        if (seeds.Distinct().Count() != seeds.Count) throw new UserError($"runs {string.Join(", ", runs)} share a seed; each run must have its own");
        ResolveHeads(first.Model);
        foreach (var p in config.Proxies.Distinct()) Sweep(p, first.Model.HeadDim);
        // Weights are read (and refused if not finite) now, not after the first run's proxies are fitted.
        TorchRuntime.Init(config.Threads);
        foreach (var (r, _) in infos) Checkpoint.LoadModel(r).Model.Dispose();
        return infos;
    }

    public SimplifyResults Run(IReadOnlyList<string> runs)
    {
        var infos = Check(runs);
        var first = infos[0].Info;
        var heads = ResolveHeads(first.Model);
        var sweeps = config.Proxies.Distinct().ToDictionary(p => p, p => Sweep(p, first.Model.HeadDim));
        var evalSplits = data.EvalSplits.ToList();
        var results = new SimplifyResults
        {
            Manifest = new SimplifyManifest(data.Task.Name, PathLabel(data.Directory), infos.Select(x => new RunRef(x.Info.Training.Seed, PathLabel(x.Run))).ToList(),
                config.Proxies.Distinct().ToList(), sweeps, heads.Select(h => $"blocks.{h.Layer}.attn").Distinct().ToList(), config.FitSplit, FitN, evalSplits, config.BootstrapResamples)
            { Categories = data.Task.Categories, DeepSplit = data.Task.DeepSplit, Threads = config.Threads },
        };
        if (data.Splits.TryGetValue("train", out var train))
        {
            var bigram = BigramBaseline.Fit(data.Task, train);
            foreach (var split in evalSplits) results.Baseline.AddRange(bigram.Evaluate(data.Task, split, data.Splits[split]));
        }
        for (int i = 0; i < infos.Count; i++) RunOne(infos[i].Run, infos[i].Info.Training.Seed, heads, sweeps, evalSplits, results, first: i == 0);
        return results;
    }

    List<(int Layer, int Head)> ResolveHeads(ModelConfig mc)
    {
        var layers = new List<int>();
        if (config.Sites.Count == 0 || config.Sites.Contains("all")) layers.AddRange(Enumerable.Range(0, mc.Layers));
        else
            foreach (var s in config.Sites)
            {
                var valid = Enumerable.Range(0, mc.Layers).Select(l => $"blocks.{l}.attn").ToList();
                int l = valid.IndexOf(s);
                if (l < 0) throw new UserError($"--site {s}: unknown site; valid sites: {string.Join(", ", valid)}, all");
                layers.Add(l);
            }
        var heads = config.Heads.Count == 0 ? Enumerable.Range(0, mc.Heads).ToList() : config.Heads.ToList();
        foreach (var h in heads)
            if (h < 0 || h >= mc.Heads) throw new UserError($"--heads {h}: head out of range; the model has heads 0..{mc.Heads - 1}");
        return layers.Distinct().SelectMany(l => heads.Select(h => (l, h))).ToList();
    }

    IReadOnlyList<int?> Sweep(string proxy, int dHead)
    {
        var sweep = config.Sweeps.TryGetValue(proxy, out var given) ? given.Select(v => (int?)v).ToList() : ProxyCatalog.DefaultSweep(proxy, dHead);
        if (!ProxyCatalog.HasParameter(proxy)) return [null];
        foreach (var v in sweep) ProxyCatalog.CheckParameter(proxy, v, dHead, null);
        return sweep;
    }

    const int MaxExampleLength = 48;

    sealed record Fitted(string Proxy, int? Parameter, int Layer, int Head, Proxy Impl)
    {
        public string Key => $"{Proxy}|{Parameter}|{Layer}|{Head}";
        public SplicedProxy Splice() => new(Proxy, Parameter, $"blocks.{Layer}.attn", Layer, Head, Impl.Hooks(Layer, Head));
    }

    void RunOne(string run, int seed, List<(int Layer, int Head)> heads, Dictionary<string, IReadOnlyList<int?>> sweeps,
        List<string> evalSplits, SimplifyResults results, bool first)
    {
        var (model, _) = Checkpoint.LoadModel(run);
        using var _m = model;
        var runLabel = PathLabel(run);
        var sd = model.ToTransformerLensStateDict();
        HeadWeights Weights(int l, int h) => new(sd[$"blocks.{l}.attn.W_Q"][h], sd[$"blocks.{l}.attn.b_Q"][h], sd[$"blocks.{l}.attn.W_K"][h], sd[$"blocks.{l}.attn.b_K"][h]);
        double steps = 2 + evalSplits.Count, done = 0;
        void Report(string what)
        {
            Cancel.ThrowIfCancellationRequested();
            Progress?.Invoke($"seed {seed}: {what}", done++ / steps);
        }

        // Model accuracy on every split, with its depth breakdown.
        Report("model accuracy");
        foreach (var split in evalSplits)
        {
            var acc = TaskAccuracy.Evaluate(model, data.Task, split, data.Splits[split], config.BatchSize);
            results.ModelAccuracy.Add(new ModelAccuracyRow(seed, runLabel, split, "all", null, acc.Scored, acc.Correct, acc.Accuracy));
            foreach (var b in acc.ByDepth) results.ModelAccuracy.Add(new ModelAccuracyRow(seed, runLabel, split, "depth", b.Key, b.Scored, b.Correct, b.Accuracy));
            if (data.Task.Categories.Count > 1)
                foreach (var b in acc.ByCategory) results.ModelAccuracy.Add(new ModelAccuracyRow(seed, runLabel, split, "category", b.Key, b.Scored, b.Correct, b.Accuracy));
        }

        // Fit every non-oracle proxy once, on one capture of the fit set.
        Report($"fitting proxies on {FitN} {config.FitSplit} sequences");
        var fitSeqs = data.Splits[config.FitSplit].Take(config.FitN).ToList();
        using var fitCapture = ActivationCapture.Run(model, fitSeqs, config.BatchSize);
        var fitted = new List<Fitted>();
        try
        {
            foreach (var (proxy, sweep) in sweeps.Where(kv => !ProxyCatalog.IsOracle(kv.Key)))
                foreach (var p in sweep)
                    foreach (var (l, h) in heads)
                    {
                        Cancel.ThrowIfCancellationRequested();
                        fitted.Add(Fit(proxy, p, l, h, fitCapture, Weights(l, h), seed));
                    }

            var perProxy = new Dictionary<string, (SplicedProxy Spliced, List<SplitFaithfulness> Splits)>();
            foreach (var split in evalSplits)
            {
                Report($"faithfulness on {split}");
                var seqs = data.Splits[split];
                var oracles = new List<Fitted>();
                ActivationCapture? splitCapture = null;
                try
                {
                    if (sweeps.Keys.Any(ProxyCatalog.IsOracle))
                    {
                        splitCapture = ActivationCapture.Run(model, seqs.Take(config.FitN).ToList(), config.BatchSize);
                        foreach (var (proxy, sweep) in sweeps.Where(kv => ProxyCatalog.IsOracle(kv.Key)))
                            foreach (var p in sweep)
                                foreach (var (l, h) in heads)
                                    oracles.Add(Fit(proxy, p, l, h, splitCapture, Weights(l, h), seed));
                    }
                    var all = fitted.Concat(oracles).ToList();
                    var spliced = all.Select(f => f.Splice()).ToList();
                    var measured = FaithfulnessEvaluator.Evaluate(model, data.Task, split, seqs, spliced, config.BatchSize);
                    for (int i = 0; i < all.Count; i++)
                    {
                        if (!perProxy.TryGetValue(all[i].Key, out var entry)) perProxy[all[i].Key] = entry = (spliced[i], new List<SplitFaithfulness>());
                        entry.Splits.Add(measured[i]);
                    }
                    if (first && (config.ExampleSplits ?? data.Task.ExampleSplits).Contains(split)) AddExamples(model, seed, split, seqs, heads, all, results);
                }
                finally
                {
                    foreach (var o in oracles) o.Impl.Dispose();
                    splitCapture?.Dispose();
                }
            }
            foreach (var (spliced, splits) in perProxy.Values)
            {
                results.Rows.AddRange(FaithfulnessRows.For(seed, runLabel, spliced, splits, config.BootstrapResamples));
                results.Breakdown.AddRange(FaithfulnessRows.Breakdowns(seed, spliced, splits));
                results.CategoryRows.AddRange(FaithfulnessRows.ForCategories(seed, runLabel, spliced, splits, data.Task.Categories, config.BootstrapResamples));
                results.Outcomes.AddRange(FaithfulnessRows.Outcomes(seed, spliced, splits, data.Task.Categories));
            }
            if (first) AddPcaPoints(model, seed, heads, fitCapture, fitSeqs, results);
            Report("done");
        }
        finally
        {
            foreach (var f in fitted) f.Impl.Dispose();
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    Fitted Fit(string proxy, int? p, int layer, int head, ActivationCapture capture, HeadWeights w, int seed)
    {
        ProxyCatalog.CheckParameter(proxy, p, (int)w.W_Q.shape[1], capture.Count);
        var impl = ProxyCatalog.Create(proxy, p, StableHash.Of(config.ProxySeed, seed, layer, head));
        impl.Fit(ProxyCatalog.NeedsData(proxy) ? capture.Head(layer, head) : null, w);
        return new Fitted(proxy, p, layer, head, impl);
    }

    /// <summary>
    /// Attention maps of the model and every proxy on one readable example of the split. Long sequences (code windows)
    /// are cut to their first <see cref="MaxExampleLength"/> tokens: with causal attention the first n positions do not
    /// depend on the rest, so the cut maps are exact.
    /// </summary>
    void AddExamples(HookedTransformer model, int seed, string split, IReadOnlyList<int[]> seqs, List<(int Layer, int Head)> heads, List<Fitted> proxies, SimplifyResults results)
    {
        var example = seqs.Where(s => s.Length is >= 18 and <= 42).FirstOrDefault() ?? seqs.OrderBy(s => s.Length).First();
        if (example.Length > MaxExampleLength + 1) example = example[..(MaxExampleLength + 1)];
        var tokens = example[..^1].Select(id => data.Task.Vocabulary[id]).ToList();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (input, _) = Batches.Make([example]);
        foreach (var (l, h) in heads)
        {
            string site = $"blocks.{l}.attn.hook_pattern";
            float[][] Pattern(Hooks? hooks)
            {
                using var cache = new ActivationCache(n => n == site);
                model.Run(input, hooks, cache);
                var p = cache[site][0, h];
                return Enumerable.Range(0, (int)p.shape[0]).Select(i => p[i].data<float>().ToArray()).ToArray();
            }
            var maps = proxies.Where(f => f.Layer == l && f.Head == h).Select(f => new ProxyPattern(f.Proxy, f.Parameter, Pattern(f.Impl.Hooks(l, h)))).ToList();
            results.Examples.Add(new ExampleMaps(seed, split, tokens, $"blocks.{l}.attn", h, Pattern(null), maps));
        }
    }

    /// <summary>First two principal components of each head's keys and queries: training fit set vs the unseen-depth split.</summary>
    void AddPcaPoints(HookedTransformer model, int seed, List<(int Layer, int Head)> heads, ActivationCapture fit, List<int[]> fitSeqs, SimplifyResults results)
    {
        const int maxPoints = 1500;
        var deepName = data.Splits.ContainsKey(data.Task.DeepSplit) ? data.Task.DeepSplit : null;
        var deepSeqs = deepName is null ? new List<int[]>() : data.Splits[deepName].Take(200).ToList();
        using var deep = deepName is null ? null : ActivationCapture.Run(model, deepSeqs, config.BatchSize);
        var fitDepth = DepthsAt(fit, fitSeqs);
        var deepDepth = deep is null ? [] : DepthsAt(deep, deepSeqs);
        foreach (var (l, h) in heads)
            foreach (var kind in new[] { "keys", "queries" })
            {
                using var scope = torch.NewDisposeScope();
                Tensor Pick(HeadActivations a) => kind == "keys" ? a.Keys : a.Queries;
                using var proj = PcaProxy.Projection.Fit(Pick(fit.Head(l, h)), 2);
                var points = new List<PcaPoint>();
                void Add(ActivationCapture cap, int[] depth, string source)
                {
                    int n = (int)Math.Min(maxPoints, cap.Count);
                    // An evenly spaced subsample keeps the plot readable and the file small.
                    var idx = Enumerable.Range(0, n).Select(i => (long)(i * (cap.Count / (double)n))).ToArray();
                    var xy = proj.Project(Pick(cap.Head(l, h)).index_select(0, torch.tensor(idx))).data<float>().ToArray();
                    for (int i = 0; i < n; i++) points.Add(new PcaPoint(xy[2 * i], xy[2 * i + 1], depth[idx[i]], source));
                }
                Add(fit, fitDepth, config.FitSplit);
                if (deep is not null) Add(deep, deepDepth, deepName!);
                results.PcaPoints.Add(new PcaPoints(seed, $"blocks.{l}.attn", h, kind, proj.ExplainedVariance, points));
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
