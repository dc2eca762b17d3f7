using System.Diagnostics;
using Mirage.Faithfulness;
using Mirage.Model;
using Mirage.Native;
using Mirage.Simplify;
using Mirage.Study;
using Mirage.Tasks;
using Mirage.Training;

namespace Mirage.Benchmarks;

/// <summary>
/// Times the proxy stage's parts through the library's own core, <see cref="FitSpliceMeasure"/>: fitting (Fit) and
/// evaluation (Measure) apart, for every sweep point and for each proxy's whole sweep as the stage runs it (every
/// point of the sweep measured in one pass over the batches, so the model's own pass is shared). Every repetition
/// runs every point, so a drift of the machine's speed spreads over all of them rather than landing on one.
/// </summary>
public static class SimplifyBenchmark
{
    public static SimplifyBenchRun Run(TaskData data, string run, SimplifyConfig config, int reps, bool stage, IProgress<string>? progress = null)
    {
        TorchRuntime.Init(config.Threads);
        var (model, info) = Checkpoint.LoadModel(run);
        using var _m = model;
        var sd = model.ToTransformerLensStateDict();
        try
        {
            var mc = model.Config;
            var heads = (from l in Enumerable.Range(0, mc.Layers) from h in Enumerable.Range(0, mc.Heads) select new AttentionHead(l, h)).ToList();
            var fitSeqs = data.Splits[config.FitSplit].Take(config.FitN).ToList();
            var splits = data.EvalSplits.ToList();
            var evalSets = splits.ToDictionary(s => s, s => (IReadOnlyList<int[]>)(config.EvalN is int n ? data.Splits[s].Take(n).ToList() : data.Splits[s]));
            var sweeps = config.Proxies.Select(ProxyCatalog.Parse)
                .Select(p => (p.Descriptor, Points: p.Descriptor.DefaultSweep(mc.HeadDim).Select(v => heads.Select(h => new ProxyPoint(p.Descriptor, v, h)).ToList()).ToList()))
                .ToList();
            // Same seeds as the stage's: k-means++ draws alike.
            int SeedOf(ProxyPoint p) => ProxyStage.ProxySeed(config, info.Training.Seed, p);

            var capture = new List<double>();
            var modelPass = new List<double>();
            var times = new Dictionary<(string, int?, bool), (List<double> Fit, List<double> Eval, int Points)>();
            var stageTimes = new List<double>();
            var cpuShares = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                var cpu = new CpuShare(TorchSharp.torch.get_num_threads());
                progress?.Report($"repetition {r + 1} of {reps}: capture and model pass");
                long t0 = Stopwatch.GetTimestamp();
                using var fitSet = ActivationCapture.Run(model, fitSeqs, config.BatchSize);
                capture.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                modelPass.Add(Evaluate(model, data.Task, evalSets, [], config.BatchSize));

                foreach (var (d, points) in sweeps)
                {
                    progress?.Report($"repetition {r + 1} of {reps}: {d.Name}");
                    foreach (var point in points) Time(point, point[0].Parameter, false);
                    Time(points.SelectMany(p => p).ToList(), null, true);
                }

                void Time(List<ProxyPoint> points, int? parameter, bool whole)
                {
                    var key = (points[0].Proxy.Name, parameter, whole);
                    if (!times.TryGetValue(key, out var t)) times[key] = t = ([], [], points.Count);
                    long start = Stopwatch.GetTimestamp();
                    var fitted = FitSpliceMeasure.Fit(points, fitSet, sd, SeedOf);
                    try
                    {
                        t.Fit.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                        t.Eval.Add(Evaluate(model, data.Task, evalSets, fitted, config.BatchSize));
                    }
                    finally { foreach (var f in fitted) f.Dispose(); }
                }

                cpuShares.Add(cpu.Share());
                if (stage)
                {
                    progress?.Report($"repetition {r + 1} of {reps}: the whole proxy stage");
                    long s0 = Stopwatch.GetTimestamp();
                    new ProxyStage(data, config).Run([run]);
                    stageTimes.Add(Stopwatch.GetElapsedTime(s0).TotalSeconds);
                }
            }
            var timings = times.Select(kv => new SweepPointTiming(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Value.Points, Spread.Of(kv.Value.Fit), Spread.Of(kv.Value.Eval))).ToList();
            return new SimplifyBenchRun(timings, Spread.Of(capture), Spread.Of(modelPass), splits, fitSeqs.Count, evalSets.Values.Sum(s => s.Count),
                heads.Count, reps, config.Threads, Spread.Of(cpuShares), stage ? Spread.Of(stageTimes) : null);
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    /// <summary>Seconds to measure <paramref name="fitted"/> (none: the model's own pass alone) on every split.</summary>
    static double Evaluate(HookedTransformer model, ISequenceTask task, Dictionary<string, IReadOnlyList<int[]>> sets, IReadOnlyList<Proxy> fitted, int batchSize)
    {
        long start = Stopwatch.GetTimestamp();
        foreach (var (split, seqs) in sets) FitSpliceMeasure.Measure(model, task, split, seqs, fitted, batchSize);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
