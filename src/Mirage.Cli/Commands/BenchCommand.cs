using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mirage.Benchmarks;
using Mirage.Cli.Terminal;
using Mirage.Faithfulness;
using Mirage.IO;
using Mirage.Native;
using Mirage.Simplify;
using Mirage.Study;
using Spectre.Console;

namespace Mirage.Cli.Commands;

/// <summary>
/// <c>mirage bench train|simplify</c>: speed and memory, measured (never asserted in tests). Figures drift between runs
/// on shared machines: compare ratios within one run.
/// </summary>
public static class BenchCommand
{
    public static Command Create(CliContext ctx)
    {
        var bench = new Command("bench", "Measure speed and memory against this machine's matrix-product peak (training, inference, hook sites, PyTorch, the MKL shim, contention; proxy fitting and evaluation).");
        bench.Subcommands.Add(Train(ctx));
        bench.Subcommands.Add(Simplify(ctx));
        return bench;
    }

    static Command Train(CliContext ctx)
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per repetition", DefaultValueFactory = _ => 20 };
        var reps = new Option<int>("--reps") { Description = "Timed repetitions of every measurement (at least 5); each figure is their median and range", DefaultValueFactory = _ => 5 };
        var heads = new Option<string>("--heads") { Description = "Head counts to measure (comma-separated)", DefaultValueFactory = _ => "1,4" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads for the whole run, the matrix-product peak included (default 2, as training)", DefaultValueFactory = _ => 2 };
        var data = new Option<string?>("--data") { Description = "Data directory whose train split gives the real batches (default: the default Dyck data, drawn in memory)" };
        var noReal = new Option<bool>("--no-real-batches") { Description = "Skip training on real length-bucketed batches" };
        var peakSizes = new Option<string>("--peak-sizes") { Description = "Sizes n of the n×n matrix products that measure the peak (comma-separated)", DefaultValueFactory = _ => "2048,4096" };
        var contention = new Option<bool>("--contention") { Description = "Also time training beside a competing CPU-bound process and report the ratio" };
        var reference = new Option<string?>("--reference") { Description = "Path of the PyTorch reference script (default: bench/torch_reference.py in the repository)" };
        var noTorch = new Option<bool>("--no-pytorch") { Description = "Skip the PyTorch comparison" };
        var shim = new Option<bool>("--mkl-shim-compare") { Description = "Also measure in a child process with the MKL shim off (MIRAGE_MKL_SHIM=0)" };
        var json = new Option<bool>("--json") { Description = "Print the measurements as one JSON line, without the peak (used by the shim comparison)" };
        var cmd = new Command("train", "Matrix-product peak of this machine; training and inference tokens/s and model FLOP utilisation of the default model and a 4-head variant; hook-site cost, memory, PyTorch ratio.")
        { steps, reps, heads, threads, data, noReal, peakSizes, contention, reference, noTorch, shim, json };
        cmd.SetAction(r =>
        {
            // Every flag is checked before anything is timed: a mistake should not cost a minute of matrix products.
            // Zero timed steps would print zero throughputs and a meaningless overhead after a long warm-up.
            if (r.GetValue(steps) < 1) throw new UserError($"--steps must be >= 1, found {r.GetValue(steps)}");
            if (r.GetValue(reps) < 5) throw new UserError($"--reps must be >= 5 (a median and range need repetitions), found {r.GetValue(reps)}");
            if (r.GetValue(threads) is < 1 or > 1024) throw new UserError($"--threads must be between 1 and 1024, found {r.GetValue(threads)}");
            var headCounts = Ints(r.GetValue(heads)!, "--heads", 1, 1024);
            var sizes = Ints(r.GetValue(peakSizes)!, "--peak-sizes", 16, 16384);
            var configs = headCounts.Select(h => new TrainBenchConfig(Heads: h, Steps: r.GetValue(steps))).ToList();
            foreach (var c in configs) ModelOf(c).Validate($"--heads {c.Heads}");
            if (r.GetValue(data) is not null && r.GetValue(noReal)) throw new UserError("--data and --no-real-batches contradict each other; pass one");
            var options = new TrainBenchOptions(r.GetValue(reps), r.GetValue(threads), r.GetValue(contention));
            var real = r.GetValue(data) is string dir ? RealBatches.From(TaskDataLoader.Load(dir)) : r.GetValue(noReal) ? null : RealBatches.InMemoryDyck();
            if (real is not null && real.ContextLength < 1) throw new UserError($"{r.GetValue(data)}: the train split has no sequence longer than one token");

            if (r.GetValue(json))
            {
                var quiet = TrainBenchmark.Run(configs, options, real);
                ctx.Stdout.WriteLine(JsonSerializer.Serialize(quiet, Json.Compact));
                return 0;
            }
            var loadBefore = BenchFormat.Load();
            ctx.Status("bench train: matrix-product peak");
            var peak = MatmulPeak.Measure(sizes, options.Reps, options.Threads);
            var run = TrainBenchmark.Run(configs, options, real, new SyncProgress<string>(m => ctx.Status($"bench train: {m}")));
            Text(ctx, $"mirage bench train: {Plural(run.Threads, "thread")}; {run.Reps} repetitions of {Plural(configs[0].Steps, "step")} after {configs[0].Warmup} warm-up steps; " +
                      $"each figure is the median (min–max) over the repetitions. MKL shim {(run.MklShim ? "loaded" : "off")}; " +
                      $"{TorchRuntime.WaitPolicy}, MKL_CBWR {Environment.GetEnvironmentVariable("MKL_CBWR") ?? "unset"}. {Cpu()}. At the start: {loadBefore}.");
            WritePeak(ctx, peak);
            WriteTraining(ctx, run, peak, configs[0]);
            if (r.GetValue(shim)) CompareShim(ctx, run, r.GetValue(steps), r.GetValue(reps), r.GetValue(heads)!, r.GetValue(threads));
            if (!r.GetValue(noTorch)) CompareTorch(ctx, run, r.GetValue(reference), r.GetValue(steps), r.GetValue(reps));
            Text(ctx, $"At the end: {BenchFormat.Load()}.");
            return 0;
        });
        return cmd;
    }

    /// <summary>A comma-separated list of integers in [min, max], or one line naming the flag.</summary>
    static List<int> Ints(string text, string flag, int min, int max) =>
        text.Split(',').Select(x => int.TryParse(x.Trim(), out var v) && v >= min && v <= max ? v
            : throw new UserError($"{flag} {x}: expected comma-separated integers between {min} and {max}")).ToList();

    /// <summary>A paragraph wrapped at the console's width (80 columns when output goes to a file or pipe).</summary>
    static void Text(CliContext ctx, string text)
    {
        ctx.ClearStatus();
        ctx.Console.Write(new Paragraph(text + "\n"));
    }

    static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    /// <summary>The processor, named in every benchmark's header: figures from different CPUs are not comparable.</summary>
    static string Cpu() => CpuInfo.Read() is { } cpu ? $"CPU: {cpu}" : "CPU: unknown (no /proc/cpuinfo)";

    static void WritePeak(CliContext ctx, MatmulPeakResult peak)
    {
        var dtypes = peak.Timings.Select(t => t.DType).Distinct().ToList();
        var t = BenchFormat.Table("Matrix-product peak, GFLOP/s", ["n×n by n×n", .. dtypes]);
        foreach (var n in peak.Timings.Select(x => x.Size).Distinct())
            t.AddRow([n.ToString(CultureInfo.InvariantCulture), .. dtypes.Select(d => BenchFormat.Gflops(peak.Timings.First(x => x.Size == n && x.DType == d).Gflops))]);
        ctx.Console.Write(t);
        var best = peak.Best("fp32")!;
        var bf16 = peak.Bf16Peak is double b ? $"bf16 peak {b:F0} GFLOP/s = x{b / peak.Fp32Peak:F2} fp32 ({peak.Bf16Support})" : $"bf16 {peak.Bf16Support}";
        Text(ctx, $"fp32 peak {peak.Fp32Peak:F0} GFLOP/s (n = {best.Size}): every utilisation (MFU) below is model FLOP/s ÷ this. {bf16}. " +
                  $"CPU share while timed: {BenchFormat.Pct(peak.CpuShare)}.");
    }

    static void WriteTraining(CliContext ctx, TrainBenchRun run, MatmulPeakResult peak, TrainBenchConfig c0)
    {
        double p = peak.Fp32Peak * 1e9;
        var rs = run.Results;
        var flops = BenchFormat.Table("Model FLOPs per token (matrix products; README)", "heads", "matmul weights", $"train, T={c0.SeqLen - 1}", $"infer, T={c0.SeqLen}");
        foreach (var x in rs)
            flops.AddRow(x.Config.Heads.ToString(), ModelFlops.MatmulParameters(ModelOf(x.Config)).ToString("N0", CultureInfo.InvariantCulture),
                $"{x.TrainFlopsPerToken / 1e6:F3} M", $"{x.InferFlopsPerToken / 1e6:F3} M");
        ctx.Console.Write(flops);

        var train = BenchFormat.Table($"Training, batch {c0.Batch}: tokens/s and MFU", "heads", "batches", "tokens/s", "MFU");
        foreach (var x in rs)
        {
            train.AddRow(x.Config.Heads.ToString(), $"fixed ×{x.Config.SeqLen - 1}", BenchFormat.K(x.Train), BenchFormat.Pct(x.Train.Times(x.TrainFlopsPerToken / p)));
            if (x.RealTrain is { } rt) train.AddRow(x.Config.Heads.ToString(), $"real, {x.RealPadding * 100:F0}% pad", BenchFormat.K(rt), BenchFormat.Pct(x.RealTrainGflops!.Times(1e9 / p)));
        }
        ctx.Console.Write(train);
        if (run.RealSource is not null)
            Text(ctx, $"Real batches: length-bucketed as training makes them, from {run.RealSource}; padding positions are not counted as tokens, and a batch's FLOPs are taken at its padded length.");

        var infer = BenchFormat.Table($"Inference, batch {c0.Batch} × {c0.SeqLen}: tokens/s and MFU", "heads", "forward pass", "tokens/s", "MFU");
        foreach (var x in rs)
            foreach (var (what, s) in new[] { ("plain", x.Infer), ("no hook sites", x.BareInfer), ("pattern cache", x.CachedInfer) })
                infer.AddRow(x.Config.Heads.ToString(), what, BenchFormat.K(s), BenchFormat.Pct(s.Times(x.InferFlopsPerToken / p)));
        ctx.Console.Write(infer);
        Text(ctx, "plain: forward(), as training and accuracy use it; no hook sites: the same computation written without any; " +
                  "pattern cache: recording every layer's attention pattern, as the proxy stage's model pass does.");

        var cost = BenchFormat.Table("Extra time, paired within each repetition", "heads", "hook sites vs none", "pattern cache vs plain");
        foreach (var x in rs) cost.AddRow(x.Config.Heads.ToString(), BenchFormat.Change(x.HookSitesOverhead), BenchFormat.Change(x.CacheOverhead));
        ctx.Console.Write(cost);

        var first = rs[0].Config.Heads;
        var ratios = BenchFormat.Table("Ratios, paired within each repetition", "heads", $"train ÷ {Plural(first, "head")}",
            $"infer ÷ {Plural(first, "head")}", "real ÷ fixed MFU");
        foreach (var x in rs)
            ratios.AddRow(x.Config.Heads.ToString(), x.TrainVsFirst is { } tv ? BenchFormat.Ratio(tv) : "–", x.InferVsFirst is { } iv ? BenchFormat.Ratio(iv) : "–",
                x.RealVsFixed is { } rv ? BenchFormat.Ratio(rv) : "–");
        ctx.Console.Write(ratios);

        var step = BenchFormat.Table("Training step: the optimizer's share, and bf16", "heads", "AdamW share", "bf16 tokens/s", "bf16 ÷ fp32");
        foreach (var x in rs) step.AddRow(x.Config.Heads.ToString(), BenchFormat.Pct(x.OptimizerShare), BenchFormat.K(x.Bf16Train), BenchFormat.Ratio(x.Bf16VsFp32));
        ctx.Console.Write(step);
        Text(ctx, "AdamW share: the update's part of a fixed-batch step's time (one flat update for all parameters). bf16: every matrix " +
                  "product on bf16 copies of its operands, results back in fp32 (what autocast does; weights, optimizer, layer norm and softmax " +
                  "in fp32); ÷ fp32: against the same step in fp32, both without hook sites, paired.");

        if (rs[0].Contended is not null)
        {
            var cont = BenchFormat.Table("Training beside one busy process (fixed batches)", "heads", "alone", "beside it", "ratio", "cores");
            foreach (var x in rs)
                cont.AddRow(x.Config.Heads.ToString(), BenchFormat.K(x.Train), BenchFormat.K(x.Contended!), BenchFormat.Ratio(x.ContentionRatio!), $"{x.CompetitorCores:F2}");
            ctx.Console.Write(cont);
            Text(ctx, "alone: the uncontended figure of the same repetitions; ratio: beside ÷ alone, paired; cores: the CPU the busy process got meanwhile (below 1 when the machine is busy with other work too).");
        }
        Text(ctx, $"CPU share of this process while the uncontended blocks ran (CPU time ÷ wall time × {Plural(run.Threads, "thread")}; " +
                  $"well below 100% means other work took the cores): {BenchFormat.Pct(run.CpuShare)}.");
        Text(ctx, $"Memory (RSS of this process, all models): {run.RssAfterWarmupMb:F0} MB after the warm-up, {run.RssHalfwayMb:F0} MB halfway, " +
                  $"{run.RssAtEndMb:F0} MB at the end; peak {run.PeakRssMb:F0} MB.");
    }

    static Model.ModelConfig ModelOf(TrainBenchConfig c) =>
        new() { Layers = c.Layers, Heads = c.Heads, DModel = c.DModel, DMlp = c.DMlp, VocabSize = c.Vocab, ContextLength = c.SeqLen };

    static void CompareShim(CliContext ctx, TrainBenchRun withShim, int steps, int reps, string heads, int threads)
    {
        ctx.Status("bench train: the same measurements with the MKL shim off (child process)");
        var child = ChildProcess.Run("dotnet", [typeof(BenchCommand).Assembly.Location, "bench", "train", "--json", "--no-pytorch", "--no-real-batches",
                "--steps", steps.ToString(), "--reps", reps.ToString(), "--heads", heads, "--threads", threads.ToString()],
            environment: new Dictionary<string, string?> { ["MIRAGE_MKL_SHIM"] = "0" });
        var line = child.Output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (!child.Ok || line is null) { Text(ctx, $"MKL shim comparison failed: {child.Error.Split('\n').FirstOrDefault()}"); return; }
        var without = JsonSerializer.Deserialize<TrainBenchRun>(line, Json.Options)!;
        var t = BenchFormat.Table("MKL shim (MKL's AVX-512 path on AMD): tokens/s", "heads", "train on", "train off", "gain", "infer on", "infer off", "gain");
        foreach (var (a, b) in withShim.Results.Zip(without.Results))
            t.AddRow(a.Config.Heads.ToString(), BenchFormat.K(a.Train.Median), BenchFormat.K(b.Train.Median), $"x{a.Train.Median / b.Train.Median:F2}",
                BenchFormat.K(a.Infer.Median), BenchFormat.K(b.Infer.Median), $"x{a.Infer.Median / b.Infer.Median:F2}");
        ctx.ClearStatus();
        ctx.Console.Write(t);
        Text(ctx, "Medians; the gain is a ratio of medians measured one process after the other, so it carries both runs' noise.");
    }

    static void CompareTorch(CliContext ctx, TrainBenchRun mirage, string? reference, int steps, int reps)
    {
        reference ??= Path.Combine(RepoRoot(), "bench", "torch_reference.py");
        if (!File.Exists(reference)) { Text(ctx, $"PyTorch comparison skipped: {reference} not found (pass --reference PATH)"); return; }
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        if (!Runs(python, "-c", "import torch") && !InstallTorch(ctx, python)) return;
        EnsureOpenBlas(ctx);
        var rows = new List<(TrainBenchResult M, string Version, Spread Train, Spread Infer, double PeakMb)>();
        foreach (var m in mirage.Results)
        {
            var c = m.Config;
            ctx.Status($"bench train: PyTorch, {c.Heads} head(s)");
            var (exit, output, error, peakMb, _) = ChildProcess.Run(python, [reference, "--layers", c.Layers.ToString(), "--heads", c.Heads.ToString(), "--d-model", c.DModel.ToString(),
                "--d-mlp", c.DMlp.ToString(), "--vocab", c.Vocab.ToString(), "--seq-len", c.SeqLen.ToString(), "--batch", c.Batch.ToString(), "--steps", steps.ToString(),
                "--reps", reps.ToString(), "--warmup", c.Warmup.ToString(), "--threads", mirage.Threads.ToString()],
                environment: new Dictionary<string, string?> { ["OPENBLAS_CORETYPE"] = null, ["OPENBLAS_L2_SIZE"] = null });
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (exit != 0 || line is null) { Text(ctx, $"PyTorch run failed: {error.Split('\n').FirstOrDefault()}"); return; }
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            Spread Reps(string name, string median) => root.TryGetProperty(name, out var a)
                ? Spread.Of(a.EnumerateArray().Select(e => e.GetDouble()))
                : Spread.Of([root.GetProperty(median).GetDouble()]);   // an older script: one figure
            rows.Add((m, root.GetProperty("torch").GetString() ?? "?", Reps("train_tokens_per_s_reps", "train_tokens_per_s"),
                Reps("infer_tokens_per_s_reps", "infer_tokens_per_s"), peakMb));
        }
        var t = BenchFormat.Table($"Mirage vs PyTorch {rows[0].Version}: tokens/s", "heads", "PyTorch train", "Mirage ÷", "PyTorch infer", "Mirage ÷");
        foreach (var (m, _, tr, inf, _) in rows)
            t.AddRow(m.Config.Heads.ToString(), BenchFormat.K(tr), $"x{m.Train.Median / tr.Median:F2}", BenchFormat.K(inf), $"x{m.Infer.Median / inf.Median:F2}");
        ctx.ClearStatus();
        ctx.Console.Write(t);
        Text(ctx, "Same model, batch and training step, fixed batches; ratios of medians measured one process after the other. " +
                  $"PyTorch ran with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (its best here); its peak RSS: {string.Join(", ", rows.Select(x => $"{x.PeakMb:F0} MB with {Plural(x.M.Config.Heads, "head")}"))}.");
    }

    /// <summary>
    /// Installs Debian's python3-torch when it is missing and we may (root, apt-get present): the comparison is part of
    /// the benchmark, and a fresh machine does not have it. Otherwise says why the comparison is skipped.
    /// </summary>
    static bool InstallTorch(CliContext ctx, string python)
    {
        if (!CanApt)
        {
            Text(ctx, "PyTorch comparison skipped: python3 cannot import torch and apt-get is not usable here (as root: apt-get install -y python3-torch)");
            return false;
        }
        Text(ctx, "python3 cannot import torch: installing Debian's python3-torch (apt-get, a few minutes)...");
        Runs("/usr/bin/apt-get", "update", "-qq");
        if (Runs("/usr/bin/apt-get", "install", "-y", "-qq", "python3-torch") && Runs(python, "-c", "import torch")) return true;
        Text(ctx, "PyTorch comparison skipped: apt-get install python3-torch failed (no package mirror reachable?)");
        return false;
    }

    const string DebianBlas = "/usr/lib/x86_64-linux-gnu/libblas.so.3";

    /// <summary>
    /// Debian's PyTorch does its matrix products through whatever libblas.so.3 the system points at. With only libblas3
    /// installed that is the reference BLAS, and PyTorch runs ~10x slower than with OpenBLAS (measured here: 1.4k vs
    /// 15.7k training tokens/s): racing that would flatter Mirage. Install OpenBLAS when we may, else say so.
    /// </summary>
    static void EnsureOpenBlas(CliContext ctx)
    {
        if (!File.Exists(DebianBlas) || UsesOpenBlas()) return;
        if (CanApt)
        {
            Text(ctx, "PyTorch would use the reference BLAS (libblas3): installing Debian's libopenblas0-pthread so it runs at its best...");
            if (Runs("/usr/bin/apt-get", "install", "-y", "-qq", "libopenblas0-pthread") && UsesOpenBlas()) return;
        }
        Text(ctx, $"warning: {DebianBlas} is not OpenBLAS, so PyTorch runs far below its best and the ratios below flatter Mirage (as root: apt-get install -y libopenblas0-pthread)");
    }

    static bool UsesOpenBlas() =>
        (new FileInfo(DebianBlas).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? DebianBlas).Contains("openblas", StringComparison.OrdinalIgnoreCase);

    /// <summary>We may install Debian packages: apt-get is there and we are root.</summary>
    static bool CanApt => File.Exists("/usr/bin/apt-get") && Environment.UserName == "root";

    /// <summary>True when the command exists and exits 0 (its output is read and dropped).</summary>
    static bool Runs(string exe, params string[] args) =>
        ChildProcess.Run(exe, args, environment: new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" }).Ok;

    /// <summary>The repository root: the first parent of the binary holding Mirage.sln.</summary>
    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Mirage.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    static Command Simplify(CliContext ctx)
    {
        var run = new Option<string>("--run") { Description = "A trained run", Required = true };
        var data = new Option<string>("--data") { Description = "Its data directory", Required = true };
        var reps = new Option<int>("--reps") { Description = "Timed repetitions (at least 5); each figure is their median and range", DefaultValueFactory = _ => 5 };
        var evalN = new Option<int?>("--eval-n") { Description = "Evaluate on the first N sequences of each split (default: all, as the proxy stage does)" };
        var proxies = new Option<string>("--proxies") { Description = "Proxies to time, with their default sweeps (comma-separated)", DefaultValueFactory = _ => "pca,kmeans,onehot,weight-svd" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (default 2, as the proxy stage)", DefaultValueFactory = _ => 2 };
        var stage = new Option<bool>("--stage") { Description = "Also time the whole proxy stage (accuracy, every proxy, bootstrap) in every repetition" };
        var cmd = new Command("simplify", "Time per sweep point and per proxy sweep, fitting and evaluation apart (every head, every evaluation split, default sweeps).")
        { run, data, reps, evalN, proxies, threads, stage };
        cmd.SetAction(r =>
        {
            if (r.GetValue(reps) < 5) throw new UserError($"--reps must be >= 5 (a median and range need repetitions), found {r.GetValue(reps)}");
            if (r.GetValue(evalN) is < 2) throw new UserError($"--eval-n must be >= 2, found {r.GetValue(evalN)}");
            if (r.GetValue(threads) is < 1 or > 1024) throw new UserError($"--threads must be between 1 and 1024, found {r.GetValue(threads)}");
            var names = r.GetValue(proxies)!.Split(',').Select(x => x.Trim()).ToList();
            foreach (var n in names) ProxyCatalog.CheckName(n);
            var td = TaskDataLoader.Load(r.GetValue(data)!);
            var config = new SimplifyConfig { Proxies = names, EvalN = r.GetValue(evalN), Threads = r.GetValue(threads) };
            // The stage's own checks (the run against the data, its weights finite) before any timing.
            new Study.ProxyStage(td, config).Check([r.GetValue(run)!]);
            var loadBefore = BenchFormat.Load();
            var res = SimplifyBenchmark.Run(td, r.GetValue(run)!, config, r.GetValue(reps), r.GetValue(stage), new SyncProgress<string>(m => ctx.Status($"bench simplify: {m}")));
            Text(ctx, $"mirage bench simplify: {Plural(res.Threads, "thread")}; {res.Reps} repetitions; each figure is the median (min–max) in seconds. " +
                      $"Fit set: {res.FitN:N0} sequences; evaluation: {res.EvalSequences:N0} sequences over {res.Splits.Count} splits ({string.Join(", ", res.Splits)}); " +
                      $"{res.Heads} heads. {Cpu()}. At the start: {loadBefore}.");

            var shared = BenchFormat.Table("Shared by every point, seconds", "step", "time");
            shared.AddRow("capture the fit set's q and k", BenchFormat.Seconds(res.CaptureSeconds));
            shared.AddRow("model's own pass, every split", BenchFormat.Seconds(res.ModelPassSeconds));
            if (res.StageSeconds is { } st) shared.AddRow("whole proxy stage", BenchFormat.Seconds(st));
            ctx.Console.Write(shared);

            var t = BenchFormat.Table("Per sweep point (all heads) and per proxy sweep, seconds", "proxy", "point", "fit", "evaluate");
            foreach (var proxy in names)
            {
                foreach (var p in res.Timings.Where(x => x.Proxy == proxy && !x.WholeSweep))
                    t.AddRow(proxy, ProxyCatalog.SymbolOf(proxy) is string sym ? $"{sym}={p.Parameter}" : "–", BenchFormat.Seconds(p.FitSeconds), BenchFormat.Seconds(p.EvaluateSeconds));
                var w = res.Timings.Single(x => x.Proxy == proxy && x.WholeSweep);
                t.AddRow(proxy, "sweep", BenchFormat.Seconds(w.FitSeconds), BenchFormat.Seconds(w.EvaluateSeconds));
            }
            ctx.Console.Write(t);
            Text(ctx, "fit: the point's proxies fitted at every head (FitSpliceMeasure.Fit); evaluate: measured on every split (FitSpliceMeasure.Measure), " +
                      "the model's own pass included, which a sweep shares among its points as the stage does. " +
                      $"Not included: the model's accuracy, the bootstrap and the report material{(res.StageSeconds is null ? " (--stage times them)" : "")}. " +
                      $"CPU this process used, in cores (CPU time ÷ wall time; its scoring is single-threaded C#, so about 1 of {res.Threads} need not mean " +
                      $"contention): {res.CpuShare.Times(res.Threads).Median:F2} ({res.CpuShare.Times(res.Threads).Min:F2}–{res.CpuShare.Times(res.Threads).Max:F2}). At the end: {BenchFormat.Load()}.");
            return 0;
        });
        return cmd;
    }
}
