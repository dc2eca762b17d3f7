using System.CommandLine;
using System.Diagnostics;
using Mirage.IO;
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
            var file = r.GetValue(config) is string f ? Json.Load<DyckConfig>(f, "Dyck config") : new DyckConfig();
            var c = file with
            {
                K = r.GetValue(k) ?? file.K, MaxDepth = r.GetValue(depth) ?? file.MaxDepth, Train = r.GetValue(train) ?? file.Train,
                PerSplit = r.GetValue(perSplit) ?? file.PerSplit, Seed = r.GetValue(seed) ?? file.Seed,
            };
            return Run(ctx, r.GetValue(output)!, c.Validate(r.GetValue(config) ?? "dyck settings"));
        });
        return cmd;
    }

    public static int Run(CliContext ctx, string dir, DyckConfig c)
    {
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
        {
            var manifest = Path.Combine(dir, DyckData.ManifestFile);
            if (!File.Exists(manifest)) throw new UserError($"{dir}: exists and is not a Mirage data directory; choose another --out");
            var existing = DyckData.ReadManifest(dir);
            var diff = Training.ConfigDiff.Fields(existing.Config, c, "config").FirstOrDefault();
            if (diff.Field is not null)
                throw new UserError($"{dir}: already holds a different dataset ({diff.Field} is {diff.Had}, asked for {diff.Want}); choose another --out or delete it");
            ctx.Stdout.WriteLine($"{dir}: already holds this dataset (same config and seed); nothing to do");
            Print(ctx, existing, null);
            return 0;
        }
        var clock = Stopwatch.StartNew();
        var splits = DyckSplits.Build(c);
        var m = DyckData.Write(dir, c, splits);
        Print(ctx, m, clock.Elapsed);
        return 0;
    }

    static void Print(CliContext ctx, DyckManifest m, TimeSpan? took)
    {
        var t = new Table().Title($"Dyck-({m.Config.K},{m.Config.MaxDepth}), seed {m.Seed}" + (took is { } d ? $", built in {d.TotalSeconds:F1} s" : ""))
            .AddColumns("split", "count", "length", "depth", "sha256");
        foreach (var s in m.Splits)
            t.AddRow(s.Name, s.Count.ToString("N0"), $"{s.MinLength}–{s.MaxLength}", $"{s.MinDepth}–{s.MaxDepth}", s.Sha256[..12] + "…");
        ctx.Console.Write(t);
    }
}
