using System.CommandLine;
using Mirage.Cli.Display;
using Mirage.Cli.Terminal;
using Mirage.IO;
using Mirage.Study;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;

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

    /// <summary>Builds a Dyck data directory (<see cref="DataStage"/>) and prints its splits.</summary>
    public static int Run(CliContext ctx, string dir, DyckConfig c, IEnumerable<string?>? inputs = null)
    {
        var outcome = DataStage.Dyck(dir, c, inputs ?? [], ctx.Stdout.WriteLine);
        DataTables.Dyck(ctx, DyckData.ReadManifest(dir), outcome.Reused ? null : outcome.Took);
        return 0;
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

    /// <summary>Builds a code data directory (<see cref="DataStage"/>) and prints its splits and what reading the corpora found.</summary>
    public static int RunCode(CliContext ctx, string dir, CodeConfig c, CodeDefaults defaults, IEnumerable<string?>? inputs = null)
    {
        // Resolved once: finding the default corpora may fetch the pinned packages, ask python3 and search the JDKs.
        var corpora = defaults.Resolve(c);
        foreach (var w in corpora.Warnings) ctx.Stderr.WriteLine($"warning: {w}");
        var outcome = DataStage.Code(dir, corpora, inputs ?? [], ctx.Stdout.WriteLine);
        DataTables.Code(ctx, CodeData.ReadManifest(dir), outcome.Reused ? null : outcome.Took);
        return 0;
    }
}
