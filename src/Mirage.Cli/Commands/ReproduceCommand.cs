using System.CommandLine;
using System.Diagnostics;
using Mirage.Faithfulness;
using Mirage.IO;
using Mirage.Reports;
using Mirage.Reproduce;
using Mirage.Tasks;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;
using Mirage.Training;

namespace Mirage.Cli.Commands;

/// <summary>
/// <c>mirage reproduce dyck --out DIR</c>: data → train every seed → every proxy and sweep on every head →
/// faithfulness → report, skipping stages already done with the same settings (DIR/stages.json).
/// Layout: DIR/data, DIR/runs/seed{S}, DIR/results, DIR/report.
/// </summary>
public static class ReproduceCommand
{
    public static Command Create(CliContext ctx)
    {
        var reproduce = new Command("reproduce", "Run a whole study end to end: data, training, proxies, faithfulness, report.");
        var scale = new Option<string>("--scale") { Description = "quick (smoke test, minutes), default (<= 20 min on 2 cores), paper (full size)", DefaultValueFactory = _ => "default" };
        var seeds = new Option<int>("--seeds") { Description = "Models to train (seeds 0..N-1)", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out") { Description = "Study directory (new, empty, or an earlier dyck study)", DefaultValueFactory = _ => "study-dyck" };
        var quiet = new Option<bool>("--quiet") { Description = "Stage lines only, no progress displays or tables" };
        var threads = ThreadsOption();
        var reference = ReportCommand.ReferenceOption();
        var dyck = new Command("dyck", "Reproduce the Dyck study (Friedman et al. 2024, Dyck-(20,10) after Murty et al. 2023).") { scale, seeds, output, threads, reference, quiet };
        dyck.SetAction(r =>
        {
            var study = DyckStudy.For(r.GetValue(scale)!);
            return Run(ctx, study, (c, dir) => DataCommand.Run(c, dir, study.Data), null, r.GetValue(seeds), r.GetValue(output)!, r.GetValue(threads), r.GetValue(reference), r.GetValue(quiet));
        });
        reproduce.Subcommands.Add(dyck);
        reproduce.Subcommands.Add(Code(ctx));
        return reproduce;
    }

    static Command Code(CliContext ctx)
    {
        var scale = new Option<string>("--scale") { Description = "quick (smoke test on a small corpus), default (<= 30 min on 2 cores)", DefaultValueFactory = _ => "default" };
        var seeds = new Option<int>("--seeds") { Description = "Models to train (seeds 0..N-1); one fits the default's 30 minutes", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Study directory (new, empty, or an earlier code study)", DefaultValueFactory = _ => "study-code" };
        var corpus = new Option<string[]>("--corpus") { Description = "Source directory or .zip (repeat for several; default: Debian 12's Python 3.11 stdlib packages, pinned)", AllowMultipleArgumentsPerToken = false };
        var ood = new Option<string[]>("--ood-corpus") { Description = "Directory or .zip for the java split (default: Debian 12's openjdk-17-source, pinned)", AllowMultipleArgumentsPerToken = false };
        var quiet = new Option<bool>("--quiet") { Description = "Stage lines only, no progress displays or tables" };
        var threads = ThreadsOption();
        var reference = ReportCommand.ReferenceOption();
        var cmd = new Command("code", "Reproduce the code-completion study: character-level Python, OOD splits deep_nesting and java.") { scale, seeds, output, corpus, ood, threads, reference, quiet };
        cmd.SetAction(r =>
        {
            var study = CodeStudy.For(r.GetValue(scale)!, r.GetValue(corpus) ?? [], r.GetValue(ood) ?? []);
            // Resolved (the pinned packages fetched when not cached) and read once for the data stage's hash; the same
            // resolution then builds the data, so the hash and the data describe the same corpora.
            var corpora = new Lazy<CodeCorpora>(() => CodeDefaults.OnMachine(ctx.Stderr).Resolve(study.Data));
            object dataKey()
            {
                // Warned here, where the corpora are first resolved, as the data stage may be skipped as done.
                foreach (var w in corpora.Value.Warnings) ctx.Stderr.WriteLine($"warning: {w}");
                return CodeStudy.DataKey(corpora.Value);
            }
            return Run(ctx, study, (c, dir) => DataCommand.RunCode(c, dir, corpora.Value, warn: false), dataKey, r.GetValue(seeds), r.GetValue(output)!, r.GetValue(threads), r.GetValue(reference), r.GetValue(quiet));
        });
        return cmd;
    }

    static Option<int> ThreadsOption() => new("--threads")
    { Description = "libtorch threads of every stage (recorded in the study; results are bit-identical only at the same count)", DefaultValueFactory = _ => new TrainConfig().Threads };

    /// <summary>
    /// The stages of any study; <paramref name="writeData"/> builds the task's data directory. <paramref name="dataKey"/>,
    /// when given, says what the data is built from beyond its settings (the code corpora's identities): it joins the
    /// data stage's hash, so a study whose corpus changed builds its data again instead of reusing the old.
    /// </summary>
    static int Run(CliContext ctx, IStudy study, Func<CliContext, string, int> writeData, Func<object>? dataKey, int seeds, string dir, int threads, string? referenceSplit, bool quiet)
    {
        if (seeds < 1) throw new UserError($"--seeds must be >= 1, found {seeds}");
        if (threads < 1) throw new UserError($"--threads must be >= 1, found {threads}");
        var training = study.Training with { Threads = threads };
        var simplify = study.Simplify with { Threads = threads };
        var corpora = study.DataConfig is CodeConfig cc ? cc.Corpus.Concat(cc.OodCorpus) : [];
        var target = OutputDirectory.Check(dir, "--out", StudyManifest.Kind(study.Task), corpora);
        var stop = ctx.StopOnSignal();
        using var held = target.Claim();
        Directory.CreateDirectory(dir);
        StudyManifest.Ensure(dir, study.Task);
        var ledger = new StageLedger(dir);
        var clock = Stopwatch.StartNew();
        int stage = 0, stages = 4;
        void Header(string what, bool cached)
        {
            stop.ThrowIfCancellationRequested();
            ctx.Stdout.WriteLine($"[{++stage}/{stages}] {what}{(cached ? " — already done with these settings, skipped" : "")}  ({clock.Elapsed:mm\\:ss})");
        }

        // 1. Data.
        string data = Path.Combine(dir, "data");
        // Without a key the inputs are those of before keys existed, so finished Dyck studies keep their data stage.
        string dataHash = dataKey is null ? StageLedger.Hash("data", study.Task, study.DataConfig) : StageLedger.Hash("data", study.Task, study.DataConfig, dataKey());
        bool cached = ledger.IsDone("data", dataHash) && File.Exists(Path.Combine(data, "manifest.json"));
        Header($"data: {study.DataSummary}", cached);
        if (!cached)
        {
            // Only what `mirage data` made is replaced; anything else under that name is the user's.
            if (Directory.Exists(data))
            {
                if (Directory.EnumerateFileSystemEntries(data).Any() && !TaskDataLoader.Kind.IsEarlierOutput(data))
                    throw new UserError($"{data}: is not a data directory written by `mirage data`; Mirage replaces nothing it did not make: move it away");
                if (OutputKind.Foreign(data, TaskDataLoader.IsDataEntry) is { Count: > 0 } foreign)
                    throw new UserError($"{data}: must be rebuilt with new settings but also holds {string.Join(", ", foreign.Take(3))}, which `mirage data` did not write: move it out first");
                using (DirectoryLock.Acquire(data, StudyManifest.Command, data)) Directory.Delete(data, true);
            }
            int code = writeData(quiet ? Quiet(ctx) : ctx, data);
            if (code != 0) return code;
            ledger.MarkDone("data", dataHash);
        }
        var td = TaskDataLoader.Load(data);

        // 2. Train every seed (a run interrupted mid-way resumes from its checkpoint).
        var runs = Enumerable.Range(0, seeds).Select(s => Path.Combine(dir, "runs", $"seed{s}")).ToList();
        string trainHash(int s) => StageLedger.Hash("train", study.Model, training with { Seed = s }, td.ManifestSha256);
        cached = Enumerable.Range(0, seeds).All(s => ledger.IsDone($"train/seed{s}", trainHash(s)));
        Header($"train {seeds} model(s): {study.Model.Layers} layers, {study.Model.Heads} head(s), d_model {study.Model.DModel}, up to {training.Steps} steps, {threads} thread(s)", cached);
        for (int s = 0; s < seeds; s++)
        {
            if (ledger.IsDone($"train/seed{s}", trainHash(s))) continue;
            if (Checkpoint.Exists(runs[s]) && !SameRun(runs[s], study.Model, training, s))
            {
                // Settings changed: start over, deleting only a run directory that holds nothing but what train writes.
                if (OutputKind.Foreign(runs[s], Checkpoint.IsRunEntry) is { Count: > 0 } foreign)
                    throw new UserError($"{runs[s]}: must be retrained with new settings but also holds {string.Join(", ", foreign.Take(3))}, which `mirage train` did not write: move it out first");
                using (DirectoryLock.Acquire(runs[s], StudyManifest.Command, runs[s])) Directory.Delete(runs[s], true);
            }
            ctx.Stdout.WriteLine($"  seed {s}");
            int code = TrainCommand.Run(ctx, td, study.Model, training with { Seed = s }, runs[s], quiet);
            if (code != 0) return code;
            stop.ThrowIfCancellationRequested();
            ledger.MarkDone($"train/seed{s}", trainHash(s));
        }

        // 3. Proxies and faithfulness.
        string results = Path.Combine(dir, "results");
        var runIds = runs.Select(r => Checkpoint.LoadInfo(r)).Select(i => (i.Training.Seed, i.Step)).ToList();
        string simplifyHash = StageLedger.Hash("simplify", simplify, runIds, td.ManifestSha256);
        cached = ledger.IsDone("simplify", simplifyHash) && File.Exists(Path.Combine(results, "faithfulness.csv"));
        Header($"proxies {string.Join(", ", simplify.Proxies)} on every head, fitted on {simplify.FitN} train sequences; faithfulness on {td.EvalSplits.Count()} splits", cached);
        if (!cached)
        {
            SimplifyCommand.Run(ctx, runs, data, simplify, results, quiet);
            ledger.MarkDone("simplify", simplifyHash);
        }

        // 4. Report.
        string report = Path.Combine(dir, "report");
        string reportHash = StageLedger.Hash("report", Sha256.OfFile(Path.Combine(results, "faithfulness.csv")), typeof(ReportBuilder).Assembly.GetName().Version?.ToString(), referenceSplit ?? "");
        cached = ledger.IsDone("report", reportHash) && File.Exists(Path.Combine(report, "report.html"));
        Header("report", cached);
        if (!cached)
        {
            ReportCommand.Run(results, report, Statistics.StudyStatistics.DefaultResamples, referenceSplit);
            ledger.MarkDone("report", reportHash);
        }
        ctx.Stdout.WriteLine($"done in {clock.Elapsed:mm\\:ss}: open {Path.Combine(report, "report.html")}");
        return 0;
    }

    static bool SameRun(string run, Model.ModelConfig model, TrainConfig training, int seed)
    {
        var info = Checkpoint.LoadInfo(run);
        return info.Model == model with { VocabSize = info.Model.VocabSize } && info.Training == training with { Seed = seed };
    }

    static CliContext Quiet(CliContext ctx) => new(TextWriter.Null, ctx.Stderr, ctx.Interruption);
}
