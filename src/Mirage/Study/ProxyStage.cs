using Mirage.Evaluation;
using Mirage.Faithfulness;
using Mirage.IO;
using Mirage.Model;
using Mirage.Native;
using Mirage.Simplify;
using Mirage.Tasks;
using Mirage.Training;
using static TorchSharp.torch;

namespace Mirage.Study;

/// <summary>
/// The proxy stage of the study (docs/method.md §4) for one or more trained runs (seeds): every proxy of every sweep at
/// every head, fitted on the fit set and measured on every evaluation split (<see cref="FitSpliceMeasure"/>), with
/// the model's accuracy, the bigram baseline, the oracle control and the report's material around it. Returns
/// everything a results directory holds; writing it is <see cref="ResultsWriter"/>'s job.
/// </summary>
public sealed class ProxyStage(TaskData taskData, SimplifyConfig config)
{
    /// <summary>The data, scored with <see cref="SimplifyConfig.MinDistance"/> when it is given.</summary>
    readonly TaskData data = config.MinDistance is int d ? taskData.WithTask(taskData.Task.WithMinDistance(d)) : taskData;

    public IProgress<StageProgress>? Progress { get; init; }

    /// <summary>How results name a run or data directory (the CLI: relative to the results directory's parent).</summary>
    public Func<string, string> PathLabel { get; init; } = p => p;

    /// <summary>
    /// Whether the first run also yields the report's material (attention maps, PCA points). A study computing one
    /// seed at a time sets it for its first seed only, so the combined results match a single stage over every seed.
    /// </summary>
    public bool CollectReportMaterial { get; init; } = true;

    /// <summary>Stops the stage at its next step (the results are then never written).</summary>
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
        var specs = config.Proxies.Distinct().Select(ProxyCatalog.Parse).ToList();
        if (!data.Splits.ContainsKey(config.FitSplit)) throw new UserError($"--fit-split {config.FitSplit}: no such split in {data.Directory} (splits: {string.Join(", ", data.SplitNames)})");
        if (config.FitN < 1) throw new UserError($"--fit-n must be >= 1, found {config.FitN}");
        if (config.EvalN is < 2) throw new UserError($"--eval-n must be >= 2, found {config.EvalN}");

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
        foreach (var s in specs) Sweep(s, first.Model.HeadDim);
        // Weights are read (and refused if not finite) now, not after the first run's proxies are fitted.
        TorchRuntime.Init(config.Threads);
        foreach (var (r, _) in infos) Checkpoint.LoadModel(r).Model.Dispose();
        return infos;
    }

    public SimplifyResults Run(IReadOnlyList<string> runs)
    {
        var infos = Check(runs);
        var first = infos[0].Info;
        var specs = config.Proxies.Distinct().Select(ProxyCatalog.Parse).ToList();
        var heads = ResolveHeads(first.Model);
        var sweeps = specs.ToDictionary(s => s.Name, s => Sweep(s, first.Model.HeadDim));
        var points = (from s in specs from p in sweeps[s.Name] from h in heads select new ProxyPoint(s.Descriptor, p, h)).ToList();
        var evalSplits = data.EvalSplits.ToList();
        var results = new SimplifyResults
        {
            Manifest = new SimplifyManifest(data.Task.Name, PathLabel(data.Directory), infos.Select(x => new RunRef(x.Info.Training.Seed, PathLabel(x.Run))).ToList(),
                specs.Select(s => s.Name).ToList(), sweeps, heads.Select(h => h.Site).Distinct().ToList(), config.FitSplit, FitN, evalSplits, config.BootstrapResamples)
            {
                Categories = data.Task.Categories, DeepSplit = data.Task.DeepSplit, Threads = config.Threads,
                ReferenceSplits = data.Task.ReferenceSplits.Where(evalSplits.Contains).ToList(), LengthBinWidth = data.Task.LengthBinWidth,
                MinDistance = data.Task.MinDistance, ScoringVariants = data.Task.ScoringVariants.Select(v => v.Name).ToList(),
                EvalN = config.EvalN, Oracle = config.Oracle,
            },
        };
        foreach (var split in evalSplits) results.SequenceLengths[split] = EvalSet(split).Select(LengthBins.LengthOf).ToArray();
        if (data.Splits.TryGetValue("train", out var train))
        {
            var bigram = BigramBaseline.Fit(data.Task, train);
            foreach (var split in evalSplits) results.Baseline.AddRange(bigram.Evaluate(data.Task, split, data.Splits[split]));
        }
        var collector = new ReportMaterialCollector(data, config.BatchSize);
        for (int i = 0; i < infos.Count; i++) RunOne(infos[i].Run, infos[i].Info.Training.Seed, points, heads, evalSplits, results, collector, first: i == 0 && CollectReportMaterial);
        results.Examples.AddRange(collector.Examples);
        results.PcaPoints.AddRange(collector.PcaPoints);
        return results;
    }

    /// <summary>
    /// <c>mirage simplify</c>: checks the output (<see cref="OutputDirectory"/>: never an input, never anything but an
    /// earlier results directory) and every setting and run, then computes under the output's lock and writes the
    /// results directory in one rename. <paramref name="inputs"/>: the data directory and anything else read.
    /// </summary>
    public SimplifyResults RunInto(string output, IReadOnlyList<string> runs, IEnumerable<string?> inputs)
    {
        var target = OutputDirectory.Check(output, "--out", ResultsWriter.Kind, runs.Concat(inputs));
        Check(runs);
        using var held = target.Claim();
        var results = Run(runs);
        Cancel.ThrowIfCancellationRequested();
        ResultsWriter.Write(output, results);
        return results;
    }

    /// <summary>The sequences of a split the proxies are measured on: the first <see cref="SimplifyConfig.EvalN"/>, or all.</summary>
    IReadOnlyList<int[]> EvalSet(string split) => config.EvalN is int n ? data.Splits[split].Take(n).ToList() : data.Splits[split];

    List<AttentionHead> ResolveHeads(ModelConfig mc)
    {
        var layers = new List<int>();
        if (config.Sites.Count == 0 || config.Sites.Contains("all")) layers.AddRange(Enumerable.Range(0, mc.Layers));
        else
            foreach (var s in config.Sites)
                layers.Add(HookSites.AttnLayer(s, mc.Layers)
                    ?? throw new UserError($"--site {s}: unknown site; valid sites: {string.Join(", ", Enumerable.Range(0, mc.Layers).Select(HookSites.Attn))}, all"));
        var heads = config.Heads.Count == 0 ? Enumerable.Range(0, mc.Heads).ToList() : config.Heads.ToList();
        foreach (var h in heads)
            if (h < 0 || h >= mc.Heads) throw new UserError($"--heads {h}: head out of range; the model has heads 0..{mc.Heads - 1}");
        return layers.Distinct().SelectMany(l => heads.Select(h => new AttentionHead(l, h))).ToList();
    }

    IReadOnlyList<int?> Sweep(ProxySpec spec, int dHead)
    {
        var d = spec.Descriptor;
        var sweep = config.Sweeps.TryGetValue(spec.Name, out var given) ? given.Select(v => (int?)v).ToList() : d.DefaultSweep(dHead);
        if (!d.HasParameter) return [null];
        foreach (var v in sweep) d.CheckParameter(v, dHead, null, spec.Name);
        return sweep;
    }

    int SeedOf(int runSeed, ProxyPoint p) => ProxySeed(config, runSeed, p);

    /// <summary>The seed a proxy is fitted with (k-means++ draws): from the proxy seed, the run's seed and the head.</summary>
    public static int ProxySeed(SimplifyConfig config, int runSeed, ProxyPoint p) => StableHash.Of(config.ProxySeed, runSeed, p.Head.Layer, p.Head.Head);

    void RunOne(string run, int seed, List<ProxyPoint> points, List<AttentionHead> heads, List<string> evalSplits, SimplifyResults results,
        ReportMaterialCollector collector, bool first)
    {
        var (model, _) = Checkpoint.LoadModel(run);
        using var _m = model;
        var runLabel = PathLabel(run);
        var sd = model.ToTransformerLensStateDict();
        double steps = 2 + evalSplits.Count, done = 0;
        void Report(string what)
        {
            Cancel.ThrowIfCancellationRequested();
            Progress?.Report(new StageProgress($"seed {seed}: {what}", done++ / steps));
        }

        Report("model accuracy");
        AddModelAccuracy(model, seed, runLabel, evalSplits, results);

        Report($"fitting proxies on {FitN} {config.FitSplit} sequences");
        var fitSeqs = data.Splits[config.FitSplit].Take(config.FitN).ToList();
        using var fitCapture = ActivationCapture.Run(model, fitSeqs, config.BatchSize);
        var fitted = new List<Proxy>();
        try
        {
            fitted = FitSpliceMeasure.Fit(points, fitCapture, sd, p => SeedOf(seed, p), Cancel);
            var measured = points.Select(_ => new List<SplitFaithfulness>()).ToList();
            var oracle = points.Select(_ => (Train: new List<SplitFaithfulness>(), Split: new List<SplitFaithfulness>())).ToList();
            foreach (var split in evalSplits)
            {
                Report($"faithfulness on {split}");
                var seqs = EvalSet(split);
                var m = FitSpliceMeasure.Measure(model, data.Task, split, seqs, fitted, config.BatchSize, cancel: Cancel);
                for (int i = 0; i < points.Count; i++) measured[i].Add(m[i]);
                if (first && (config.ExampleSplits ?? data.Task.ExampleSplits).Contains(split)) collector.AddExamples(model, seed, split, seqs, heads, fitted);
                if (config.Oracle) Oracle(model, seed, split, seqs, points, m, sd, oracle);
            }
            // Each point's rows and bootstrap intervals on its own (the seed's draws of a split depend on nothing else,
            // so the order they are computed in changes nothing), on as many cores as the stage has threads; added in
            // point order.
            var bootstrap = new Bootstrap(seed, config.BootstrapResamples);
            var rows = points.Select(_ => new SimplifyResults { Manifest = results.Manifest }).ToArray();
            Parallel.For(0, points.Count, new ParallelOptions { MaxDegreeOfParallelism = config.Threads, CancellationToken = Cancel },
                i => AddRows(seed, runLabel, fitted[i], measured[i], oracle[i], bootstrap, rows[i]));
            foreach (var r in rows) results.Append(r);
            if (first) collector.AddPcaPoints(model, seed, heads, fitCapture, fitSeqs, config.FitSplit);
            Report("done");
        }
        finally
        {
            foreach (var f in fitted) f.Dispose();
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    /// <summary>One point's rows: values and gaps with bootstrap intervals, breakdowns, outcomes, and its oracle cells.</summary>
    void AddRows(int seed, string runLabel, Proxy proxy, List<SplitFaithfulness> splits, (List<SplitFaithfulness> Train, List<SplitFaithfulness> Split) oracle,
        Bootstrap bootstrap, SimplifyResults into)
    {
        var spliced = FitSpliceMeasure.Splice(proxy);
        into.Rows.AddRange(FaithfulnessRows.For(seed, runLabel, spliced, splits, bootstrap));
        into.Breakdown.AddRange(FaithfulnessRows.Breakdowns(seed, spliced, splits));
        into.CategoryRows.AddRange(FaithfulnessRows.ForCategories(seed, runLabel, spliced, splits, data.Task.Categories, bootstrap));
        into.ScoringRows.AddRange(FaithfulnessRows.ForVariants(seed, runLabel, spliced, splits, bootstrap));
        into.Outcomes.AddRange(FaithfulnessRows.Outcomes(seed, spliced, splits, data.Task.Categories));
        if (oracle.Split.Count == 0) return;
        foreach (var (fit, category, s) in new[] { ("train", Statistics.OutcomeKey.OracleTrainFit, oracle.Train), ("split", Statistics.OutcomeKey.OracleSplitFit, oracle.Split) })
        {
            into.OracleRows.AddRange(FaithfulnessRows.ForOracle(seed, runLabel, spliced, s, fit, bootstrap));
            into.Outcomes.AddRange(FaithfulnessRows.OutcomesAs(seed, spliced, s, category));
        }
    }

    /// <summary>The model's accuracy on every whole split, by depth and category, and under each scoring variant.</summary>
    void AddModelAccuracy(HookedTransformer model, int seed, string runLabel, List<string> evalSplits, SimplifyResults results)
    {
        foreach (var split in evalSplits)
        {
            Cancel.ThrowIfCancellationRequested();
            var variants = data.Task.ScoringVariants;
            var all = TaskAccuracy.Evaluate(model, [data.Task, .. variants.Select(v => v.Task)], split, data.Splits[split], config.BatchSize);
            var acc = all[0];
            results.ModelAccuracy.Add(new ModelAccuracyRow(seed, runLabel, split, "all", null, acc.Scored, acc.Correct, acc.Accuracy));
            foreach (var b in acc.ByDepth) results.ModelAccuracy.Add(new ModelAccuracyRow(seed, runLabel, split, "depth", b.Key, b.Scored, b.Correct, b.Accuracy));
            if (data.Task.Categories.Count > 1)
                foreach (var b in acc.ByCategory) results.ModelAccuracy.Add(new ModelAccuracyRow(seed, runLabel, split, "category", b.Key, b.Scored, b.Correct, b.Accuracy));
            for (int v = 0; v < variants.Count; v++)
                results.ModelAccuracy.Add(new ModelAccuracyRow(seed, runLabel, split, variants[v].Name, null, all[v + 1].Scored, all[v + 1].Correct, all[v + 1].Accuracy));
        }
    }

    /// <summary>
    /// The oracle control (docs/method.md §4.7): every data proxy fitted again on the split itself — on sequences of it
    /// that are not scored, as many as the train fit uses — and scored, like the train-fitted one, on the held-out
    /// half: the odd-numbered sequences of the evaluation set. A gap that an oracle fit closes is the distribution
    /// shift; one that survives it is the proxy's capacity.
    /// </summary>
    void Oracle(HookedTransformer model, int seed, string split, IReadOnlyList<int[]> seqs, List<ProxyPoint> points, List<SplitFaithfulness> trainFit,
        IReadOnlyDictionary<string, Tensor> sd, List<(List<SplitFaithfulness> Train, List<SplitFaithfulness> Split)> oracle)
    {
        var held = Enumerable.Range(0, seqs.Count).Where(i => i % 2 == 1).ToList();
        var heldSet = held.ToHashSet();
        var all = data.Splits[split];
        var fitSeqs = Enumerable.Range(0, all.Count).Where(i => !heldSet.Contains(i)).Take(config.FitN).Select(i => all[i]).ToList();
        var dataPoints = points.Select((p, i) => (p, i)).Where(x => x.p.Proxy.NeedsData).ToList();
        if (dataPoints.Count == 0 || held.Count == 0) return;
        using var capture = ActivationCapture.Run(model, fitSeqs, config.BatchSize);
        var refit = FitSpliceMeasure.Fit(dataPoints.Select(x => x.p), capture, sd, p => SeedOf(seed, p), Cancel);
        try
        {
            var m = FitSpliceMeasure.Measure(model, data.Task, split, seqs, refit, config.BatchSize, held, Cancel);
            for (int j = 0; j < dataPoints.Count; j++)
            {
                int i = dataPoints[j].i;
                oracle[i].Train.Add(trainFit[i].Only(heldSet));
                oracle[i].Split.Add(m[j]);
            }
        }
        finally { foreach (var p in refit) p.Dispose(); }
    }
}
