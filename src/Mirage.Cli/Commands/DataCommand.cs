using System.CommandLine;
using System.Diagnostics;
using Mirage.IO;
using Mirage.Tasks;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;
using Spectre.Console;

namespace Mirage.Cli.Commands;

/// <summary><c>mirage data &lt;task&gt;</c>: build a task's train and evaluation splits.</summary>
public static class DataCommand
{
    public static Command Create(CliContext ctx)
    {
        var data = new Command("data", "Build a task's train split and its systematic-generalization evaluation splits.");
        data.Subcommands.Add(Dyck(ctx));
        data.Subcommands.Add(Code(ctx));
        return data;
    }

    static Command Dyck(CliContext ctx)
    {
        var output = new Option<string>("--out") { Description = "Output directory (one JSONL file per split + manifest.json)", Required = true };
        var k = new Option<int?>("--k") { Description = "Bracket types (default 20)" };
        var depth = new Option<int?>("--max-depth") { Description = "Nesting bound m of the training data (default 10)" };
        var train = new Option<int?>("--train") { Description = "Training sequences (default 200000)" };
        var perSplit = new Option<int?>("--per-split") { Description = "Sequences per evaluation split (default 2000)" };
        var seed = new Option<int?>("--seed") { Description = "Random seed (default 0)" };
        var config = new Option<string?>("--config") { Description = "JSON file with any DyckConfig fields (snake_case); flags override it" };
        var cmd = new Command("dyck", "Dyck-(k,m) with the splits train, iid, seen_structure, unseen_structure_short, unseen_structure_long, unseen_depth.")
        { output, k, depth, train, perSplit, seed, config };
        cmd.SetAction(r =>
        {
            var file = r.GetValue(config) is string f ? Json.LoadConfig<DyckConfig>(f, "Dyck config") : new DyckConfig();
            var c = file with
            {
                K = r.GetValue(k) ?? file.K, MaxDepth = r.GetValue(depth) ?? file.MaxDepth, Train = r.GetValue(train) ?? file.Train,
                PerSplit = r.GetValue(perSplit) ?? file.PerSplit, Seed = r.GetValue(seed) ?? file.Seed,
            };
            return Run(ctx, r.GetValue(output)!, c.Validate(r.GetValue(config) ?? "dyck settings"), [r.GetValue(config)]);
        });
        return cmd;
    }

    /// <summary>Builds a Dyck data directory; <paramref name="inputs"/> are the files the settings came from (never overwritten).</summary>
    public static int Run(CliContext ctx, string dir, DyckConfig c, IEnumerable<string?>? inputs = null)
    {
        var output = OutputDirectory.Check(dir, "--out", TaskDataLoader.Kind, inputs ?? []);
        if (HoldsSameDataset(ctx, output, () => DyckData.ReadManifest(dir).Config, c, DyckData.Verify)) return Done();
        using var held = output.Claim();
        // Again under the lock: another process may have finished the same dataset meanwhile.
        if (HoldsSameDataset(ctx, output, () => DyckData.ReadManifest(dir).Config, c, DyckData.Verify)) return Done();
        var clock = Stopwatch.StartNew();
        var splits = DyckSplits.Build(c);
        var m = DyckData.Write(dir, c, splits);
        Print(ctx, m, clock.Elapsed);
        return 0;

        int Done()
        {
            Print(ctx, DyckData.ReadManifest(dir), null);
            return 0;
        }
    }

    static void Print(CliContext ctx, DyckManifest m, TimeSpan? took)
    {
        var t = new Table().Title($"Dyck-({m.Config.K},{m.Config.MaxDepth}), seed {m.Seed}" + (took is { } d ? $", built in {d.TotalSeconds:F1} s" : ""))
            .AddColumns("split", "count", "length", "depth", "sha256");
        foreach (var s in m.Splits)
            t.AddRow(s.Name, s.Count.ToString("N0"), $"{s.MinLength}–{s.MaxLength}", $"{s.MinDepth}–{s.MaxDepth}", s.Sha256[..12] + "…");
        ctx.Console.Write(t);
    }

    static Command Code(CliContext ctx)
    {
        var output = new Option<string>("--out") { Description = "Output directory (one JSONL file per split + manifest.json)", Required = true };
        var corpus = new Option<string[]>("--corpus") { Description = "Source directory or .zip (repeat for several; default: Debian 12's Python 3.11 stdlib packages, pinned)", AllowMultipleArgumentsPerToken = false };
        var ood = new Option<string[]>("--ood-corpus") { Description = "Directory or .zip for the java split (repeat for several; default: Debian 12's openjdk-17-source, pinned)", AllowMultipleArgumentsPerToken = false };
        var window = new Option<int?>("--window") { Description = "Characters per window (default 256)" };
        var depth = new Option<int?>("--max-train-depth") { Description = "Bracket-nesting bound D of train and iid windows (default 2)" };
        var train = new Option<int?>("--train") { Description = "Training windows (default 20000)" };
        var perSplit = new Option<int?>("--per-split") { Description = "Windows per evaluation split (default 500)" };
        var seed = new Option<int?>("--seed") { Description = "Random seed (default 0)" };
        var config = new Option<string?>("--config") { Description = "JSON file with any CodeConfig fields (snake_case); flags override it" };
        var cmd = new Command("code", "Character-level code completion with the splits train, iid, deep_nesting, java.")
        { output, corpus, ood, window, depth, train, perSplit, seed, config };
        cmd.SetAction(r =>
        {
            var file = r.GetValue(config) is string f ? Json.LoadConfig<CodeConfig>(f, "code config") : new CodeConfig();
            var c = file with
            {
                Corpus = r.GetValue(corpus) is { Length: > 0 } cs ? cs : file.Corpus,
                OodCorpus = r.GetValue(ood) is { Length: > 0 } os ? os : file.OodCorpus,
                Window = r.GetValue(window) ?? file.Window, MaxTrainDepth = r.GetValue(depth) ?? file.MaxTrainDepth,
                Train = r.GetValue(train) ?? file.Train, PerSplit = r.GetValue(perSplit) ?? file.PerSplit, Seed = r.GetValue(seed) ?? file.Seed,
            };
            return RunCode(ctx, r.GetValue(output)!, c.Validate(r.GetValue(config) ?? "code settings"), CodeDefaults.OnMachine(ctx.Stderr), [r.GetValue(config)]);
        });
        return cmd;
    }

    /// <summary>
    /// Rerunning on a directory that already holds the same dataset, every file intact (sha256 as in its manifest),
    /// does nothing (true); a different dataset is refused, and so is a damaged one (a data directory is never
    /// replaced: delete it to rebuild it). False when the directory is absent or empty. Anything that is not a data
    /// directory was refused by <see cref="OutputDirectory.Check"/> already.
    /// </summary>
    /// <param name="sameSource">Throws when the settings are the same but what they were read from is not (code corpora).</param>
    static bool HoldsSameDataset<T>(CliContext ctx, OutputDirectory output, Func<T> existingConfig, T want, Action<string> verify, Action<string>? sameSource = null)
    {
        if (!output.HasContent) return false;
        var dir = output.Path;
        var diff = ConfigDiff.Fields(existingConfig(), want, "config").FirstOrDefault();
        if (diff.Field is not null)
            throw new UserError($"{dir}: already holds a different dataset ({diff.Field} is {diff.Had}, asked for {diff.Want}); choose another --out or delete it");
        sameSource?.Invoke(dir);
        try { verify(dir); }
        catch (UserError e) { throw new UserError($"{e.Message}; {dir} holds this dataset's manifest but not its data: delete {dir} and rerun to rebuild it"); }
        ctx.Stdout.WriteLine($"{dir}: already holds this dataset (same config and seed, every file matches its sha256); nothing to do");
        return true;
    }

    /// <summary>Builds a code data directory; <paramref name="defaults"/> finds the corpora the config leaves empty.</summary>
    public static int RunCode(CliContext ctx, string dir, CodeConfig c, CodeDefaults defaults, IEnumerable<string?>? inputs = null) =>
        // Resolved once: finding the default corpora may fetch the pinned packages, ask python3 and search the JDKs.
        RunCode(ctx, dir, defaults.Resolve(c), inputs);

    /// <summary>Builds a code data directory from resolved corpora; <paramref name="warn"/>: print why a corpus is not the pinned one.</summary>
    public static int RunCode(CliContext ctx, string dir, CodeCorpora corpora, IEnumerable<string?>? inputs = null, bool warn = true)
    {
        var clock = Stopwatch.StartNew();
        if (warn) foreach (var w in corpora.Warnings) ctx.Stderr.WriteLine($"warning: {w}");
        var resolved = corpora.Config;
        var output = OutputDirectory.Check(dir, "--out", TaskDataLoader.Kind, (inputs ?? []).Concat(resolved.Corpus).Concat(resolved.OodCorpus));
        foreach (var root in resolved.Corpus) CodeCorpus.CheckRoot(root, "corpus");
        foreach (var root in resolved.OodCorpus) CodeCorpus.CheckRoot(root, "ood_corpus");
        if (HoldsSameDataset(ctx, output, () => CodeData.ReadManifest(dir).Config, resolved, CodeData.Verify, d => SameCorpora(d, corpora))) return Done();
        using var held = output.Claim();
        // Again under the lock: another process may have finished the same dataset meanwhile.
        if (HoldsSameDataset(ctx, output, () => CodeData.ReadManifest(dir).Config, resolved, CodeData.Verify, d => SameCorpora(d, corpora))) return Done();
        var data = CodeSplits.Build(corpora);
        var m = CodeData.Write(dir, data);
        PrintCode(ctx, m, clock.Elapsed);
        return 0;

        int Done()
        {
            PrintCode(ctx, CodeData.ReadManifest(dir), null);
            return 0;
        }
    }

    /// <summary>
    /// The same paths can hold other files than when the data was built (an upgraded python3, an edited --corpus): the
    /// corpora are read again and their identities compared. Manifests from before identities were recorded have
    /// nothing to compare and pass, as they did.
    /// </summary>
    static void SameCorpora(string dir, CodeCorpora corpora)
    {
        var m = CodeData.ReadManifest(dir);
        if (m.CorpusIdentity is null) return;
        var (corpus, ood) = CodeSplits.Identify(corpora);
        foreach (var (what, had, now) in new[] { ("corpus", m.CorpusIdentity, (CorpusIdentity?)corpus), ("ood_corpus", m.OodCorpusIdentity, ood) })
            if (had is not null && !had.SameCorpus(now))
                throw new UserError($"{dir}: already holds a dataset built from another {what} (it was {had.Describe()}; now {now?.Describe() ?? "none"}); choose another --out or delete it");
    }

    static void PrintCode(CliContext ctx, CodeManifest m, TimeSpan? took)
    {
        var t = new Table().Title($"code, window {m.Config.Window}, max_train_depth {m.Config.MaxTrainDepth}, seed {m.Seed}, {m.Vocabulary.Count} tokens" +
                                  (took is { } d ? $", built in {d.TotalSeconds:F1} s" : ""))
            .AddColumns("split", "files", "windows", "depth", "UNKs", "sha256");
        foreach (var s in m.Splits)
            t.AddRow(s.Name, s.Files.ToString("N0"), s.Count.ToString("N0"), $"{s.MinDepth}–{s.MaxDepth}", s.Unk.ToString("N0"), s.Sha256[..12] + "…");
        ctx.Console.Write(t);
        void Counts(string what, IReadOnlyList<string> roots, CorpusCounts k) =>
            ctx.Stdout.WriteLine($"{what} {string.Join(", ", roots)}: {k.FilesRead:N0} files read of {k.FilesFound:N0} found; skipped " +
                                 $"{k.SkippedBinary} binary, {k.SkippedNonUtf8} not UTF-8, {k.SkippedUnreadable} unreadable" +
                                 (k.SkippedNotRegular > 0 ? $", {k.SkippedNotRegular} not a regular file (FIFO, device or socket)" : ""));
        // The identity is what two machines compare: equal fingerprints and settings give byte-identical splits.
        void Identity(string what, CorpusIdentity? id) =>
            ctx.Stdout.WriteLine($"{what} identity: " + (id is null ? "not recorded (data written before corpora were pinned)" : id.Describe())
                                 + (id?.Note is { } note ? $"; {note}" : ""));
        Counts("corpus", m.Config.Corpus, m.Corpus);
        Identity("corpus", m.CorpusIdentity);
        ctx.Stdout.WriteLine($"hash split: {m.TrainFiles:N0} train files, {m.HeldOutFiles:N0} held-out files (iid_fraction {m.Config.IidFraction})");
        if (m.Splits.FirstOrDefault(s => s.Name == "deep_nesting") is { FromTrainFiles: > 0 } deep)
            ctx.Stdout.WriteLine($"deep_nesting: {deep.FromTrainFiles:N0} of {deep.Count:N0} windows come from train files (held-out files have too few deep windows; train holds none of them)");
        if (m.OodCorpus is { } oc) { Counts("ood_corpus", m.Config.OodCorpus, oc); Identity("ood_corpus", m.OodCorpusIdentity); }
        foreach (var (split, why) in m.SkippedSplits) ctx.Stdout.WriteLine($"{split}: skipped ({why})");
    }
}
