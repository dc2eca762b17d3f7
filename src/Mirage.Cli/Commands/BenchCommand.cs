using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Mirage.Benchmarks;
using Mirage.Faithfulness;
using Mirage.IO;
using Mirage.Simplify;
using Mirage.Tasks;
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
        var bench = new Command("bench", "Measure speed and memory (training vs PyTorch, hook-site overhead, the MKL shim; proxy fitting).");
        bench.Subcommands.Add(Train(ctx));
        bench.Subcommands.Add(Simplify(ctx));
        return bench;
    }

    static Command Train(CliContext ctx)
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per measurement", DefaultValueFactory = _ => 50 };
        var heads = new Option<string>("--heads") { Description = "Head counts to measure (comma-separated)", DefaultValueFactory = _ => "1,4" };
        var reference = new Option<string?>("--reference") { Description = "Path of the PyTorch reference script (default: bench/torch_reference.py in the repository)" };
        var noTorch = new Option<bool>("--no-pytorch") { Description = "Skip the PyTorch comparison" };
        var shim = new Option<bool>("--mkl-shim-compare") { Description = "Also measure in a child process with the MKL shim off (MIRAGE_MKL_SHIM=0)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per measurement (used by the shim comparison)" };
        var cmd = new Command("train", "Training and inference tokens/s of the default model (and a 4-head variant), peak RSS, and the ratio to PyTorch.")
        { steps, heads, reference, noTorch, shim, json };
        cmd.SetAction(r =>
        {
            // Zero timed steps would print zero throughputs and a meaningless overhead after a long warm-up.
            if (r.GetValue(steps) < 1) throw new UserError($"--steps must be >= 1, found {r.GetValue(steps)}");
            var headCounts = r.GetValue(heads)!.Split(',').Select(h => int.TryParse(h, out var v) && v >= 1 ? v : throw new UserError($"--heads {h}: expected positive integers")).ToList();
            var results = headCounts.Select(h => TrainBenchmark.Run(new TrainBenchConfig(Heads: h, Steps: r.GetValue(steps)))).ToList();
            if (r.GetValue(json)) { foreach (var x in results) ctx.Stdout.WriteLine(JsonSerializer.Serialize(x, Json.Compact)); return 0; }

            var t = new Table().Title("Mirage training/inference throughput (2 layers, d_model 128, d_mlp 512, batch 128 x 64 tokens, fp32)")
                .AddColumns("heads", "train tok/s", "infer tok/s", "infer tok/s, no hook sites", "hook-site overhead", "RSS after warm-up", "RSS halfway", "RSS at end", "peak RSS");
            foreach (var x in results)
                t.AddRow(x.Config.Heads.ToString(), $"{x.TrainTokensPerS / 1000:F1}k", $"{x.InferTokensPerS / 1000:F1}k", $"{x.BareInferTokensPerS / 1000:F1}k",
                    $"{x.HookSitesOverhead:+0.0%;-0.0%}", $"{x.RssAfterWarmupMb:F0} MB", $"{x.RssHalfwayMb:F0} MB", $"{x.RssAfterTrainingMb:F0} MB", $"{x.PeakRssMb:F0} MB");
            ctx.Console.Write(t);
            ctx.Stdout.WriteLine($"MKL shim loaded: {results[0].MklShim}; torch threads: {results[0].Threads}");

            if (r.GetValue(shim)) CompareShim(ctx, results, r.GetValue(steps), r.GetValue(heads)!);
            if (!r.GetValue(noTorch)) CompareTorch(ctx, results, r.GetValue(reference), r.GetValue(steps));
            return 0;
        });
        return cmd;
    }

    static void CompareShim(CliContext ctx, List<TrainBenchResult> withShim, int steps, string heads)
    {
        var lines = ChildProcess.Run("dotnet", [typeof(BenchCommand).Assembly.Location, "bench", "train", "--json", "--no-pytorch", "--steps", steps.ToString(), "--heads", heads],
            environment: new Dictionary<string, string?> { ["MIRAGE_MKL_SHIM"] = "0" }).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var without = lines.Select(l => JsonSerializer.Deserialize<TrainBenchResult>(l, Json.Options)!).ToList();
        var t = new Table().Title("MKL shim (MKL's AVX-512 path on AMD): with / without").AddColumns("heads", "train with", "train without", "gain", "infer with", "infer without", "gain");
        foreach (var (a, b) in withShim.Zip(without))
            t.AddRow(a.Config.Heads.ToString(), $"{a.TrainTokensPerS / 1000:F1}k", $"{b.TrainTokensPerS / 1000:F1}k", $"x{a.TrainTokensPerS / b.TrainTokensPerS:F2}",
                $"{a.InferTokensPerS / 1000:F1}k", $"{b.InferTokensPerS / 1000:F1}k", $"x{a.InferTokensPerS / b.InferTokensPerS:F2}");
        ctx.Console.Write(t);
    }

    static void CompareTorch(CliContext ctx, List<TrainBenchResult> mirage, string? reference, int steps)
    {
        reference ??= Path.Combine(RepoRoot(), "bench", "torch_reference.py");
        if (!File.Exists(reference)) { ctx.Stdout.WriteLine($"PyTorch comparison skipped: {reference} not found (pass --reference PATH)"); return; }
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        if (!Runs(python, "-c", "import torch") && !InstallTorch(ctx, python)) return;
        EnsureOpenBlas(ctx);
        var t = new Table().Title("Mirage vs PyTorch (same model and batch; PyTorch with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset, its best here)")
            .AddColumns("heads", "PyTorch", "train tok/s", "Mirage/PyTorch", "infer tok/s", "Mirage/PyTorch", "PyTorch peak RSS");
        foreach (var m in mirage)
        {
            var c = m.Config;
            var (exit, output, error, peakMb, _) = ChildProcess.Run(python, [reference, "--layers", c.Layers.ToString(), "--heads", c.Heads.ToString(), "--d-model", c.DModel.ToString(),
                "--d-mlp", c.DMlp.ToString(), "--vocab", c.Vocab.ToString(), "--seq-len", c.SeqLen.ToString(), "--batch", c.Batch.ToString(), "--steps", steps.ToString(), "--threads", m.Threads.ToString()],
                environment: new Dictionary<string, string?> { ["OPENBLAS_CORETYPE"] = null, ["OPENBLAS_L2_SIZE"] = null });
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (exit != 0 || line is null) { ctx.Stdout.WriteLine($"PyTorch run failed: {error.Split('\n').FirstOrDefault()}"); return; }
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            double tt = root.GetProperty("train_tokens_per_s").GetDouble(), it = root.GetProperty("infer_tokens_per_s").GetDouble();
            t.AddRow(c.Heads.ToString(), root.GetProperty("torch").GetString() ?? "?", $"{tt / 1000:F1}k", $"x{m.TrainTokensPerS / tt:F2}", $"{it / 1000:F1}k",
                $"x{m.InferTokensPerS / it:F2}", $"{peakMb:F0} MB");
        }
        ctx.Console.Write(t);
    }

    /// <summary>
    /// Installs Debian's python3-torch when it is missing and we may (root, apt-get present): the comparison is part of
    /// the benchmark, and a fresh machine does not have it. Otherwise says why the comparison is skipped.
    /// </summary>
    static bool InstallTorch(CliContext ctx, string python)
    {
        if (!CanApt)
        {
            ctx.Stdout.WriteLine("PyTorch comparison skipped: python3 cannot import torch and apt-get is not usable here (as root: apt-get install -y python3-torch)");
            return false;
        }
        ctx.Stdout.WriteLine("python3 cannot import torch: installing Debian's python3-torch (apt-get, a few minutes)...");
        Runs("/usr/bin/apt-get", "update", "-qq");
        if (Runs("/usr/bin/apt-get", "install", "-y", "-qq", "python3-torch") && Runs(python, "-c", "import torch")) return true;
        ctx.Stdout.WriteLine("PyTorch comparison skipped: apt-get install python3-torch failed (no package mirror reachable?)");
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
            ctx.Stdout.WriteLine("PyTorch would use the reference BLAS (libblas3): installing Debian's libopenblas0-pthread so it runs at its best...");
            if (Runs("/usr/bin/apt-get", "install", "-y", "-qq", "libopenblas0-pthread") && UsesOpenBlas()) return;
        }
        ctx.Stdout.WriteLine($"warning: {DebianBlas} is not OpenBLAS, so PyTorch runs far below its best and the ratios below flatter Mirage (as root: apt-get install -y libopenblas0-pthread)");
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
        var cmd = new Command("simplify", "Time per proxy: capture + fit of the default sweep on every head, and fit + evaluation on every split.") { run, data };
        cmd.SetAction(r =>
        {
            var td = TaskDataLoader.Load(r.GetValue(data)!);
            Training.Checkpoint.LoadModel(r.GetValue(run)!).Model.Dispose();   // the run's weights are checked before any timing
            var t = new Table().Title("Proxy fitting and evaluation time (5 splits, every head, default sweeps, 1,000 fit sequences)")
                .AddColumns("proxy", "sweep", "fit (whole sweep)", "fit + evaluate (whole sweep)", "per parameter");
            foreach (var proxy in new[] { "pca", "kmeans", "onehot", "weight-svd" })
            {
                var cfg = new SimplifyConfig { Proxies = [proxy], ExampleSplits = [], BootstrapResamples = 200 };
                var sw = Stopwatch.StartNew();
                var res = new Study.ProxyStage(td, cfg).Run([r.GetValue(run)!]);
                double total = sw.Elapsed.TotalSeconds;
                var fit = FitOnly(td, r.GetValue(run)!, proxy);
                var sweep = res.Manifest.Sweeps[proxy];
                t.AddRow(proxy, string.Join(",", sweep.Select(p => p?.ToString() ?? "–")), $"{fit:F2} s", $"{total:F1} s", $"{total / sweep.Count:F1} s");
            }
            ctx.Console.Write(t);
            return 0;
        });
        return cmd;
    }

    static double FitOnly(TaskData td, string run, string proxy)
    {
        var (model, _) = Training.Checkpoint.LoadModel(run);
        using var _m = model;
        var sd = model.ToTransformerLensStateDict();
        using var cap = ActivationCapture.Run(model, td.Splits["train"].Take(1000).ToList());
        var sw = Stopwatch.StartNew();
        var d = ProxyCatalog.Parse(proxy).Descriptor;
        foreach (var p in d.DefaultSweep(model.Config.HeadDim))
            for (int l = 0; l < model.Config.Layers; l++)
                for (int h = 0; h < model.Config.Heads; h++)
                {
                    var head = new Model.AttentionHead(l, h);
                    using var impl = d.Create(p, 0);
                    impl.Fit(d.NeedsData ? cap.Head(l, h) : null, HeadWeights.From(sd, head), head);
                }
        return sw.Elapsed.TotalSeconds;
    }
}
