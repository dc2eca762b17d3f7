using System.CommandLine;
using System.Globalization;
using System.Text;
using Mirage.Cli.Display;
using Mirage.Cli.Terminal;
using Mirage.Evaluation;
using Mirage.IO;
using Mirage.Native;
using Mirage.Study;
using Mirage.Training;
using Spectre.Console;

namespace Mirage.Cli.Commands;

/// <summary><c>mirage eval --run RUN --data DIR</c>: the task metric per split and per depth; writes RUN/eval.json and RUN/eval.csv.</summary>
public static class EvalCommand
{
    /// <summary>The content of RUN/eval.json.</summary>
    public sealed record EvalReport(string Run, string Data, long Step, IReadOnlyList<SplitAccuracy> Splits, IReadOnlyList<string> Categories,
        IReadOnlyList<BaselineRow> Baseline, int Threads, int? MinDistance);

    public static Command Create(CliContext ctx)
    {
        var run = new Option<string>("--run") { Description = "Run directory from `mirage train`", Required = true };
        var data = new Option<string>("--data") { Description = "Data directory the run was trained on (or one with the same vocabulary)", Required = true };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (default 2)", DefaultValueFactory = _ => 2 };
        var minDistance = new Option<int?>("--min-distance") { Description = "Dyck: score closers whose opener is at least this far back (default: the data's, 10)" };
        var cmd = new Command("eval", "Evaluate a trained model with the task metric on every split, per depth.") { run, data, threads, minDistance };
        cmd.SetAction(r => Run(ctx, r.GetValue(run)!, r.GetValue(data)!, r.GetValue(threads), r.GetValue(minDistance)));
        return cmd;
    }

    public static int Run(CliContext ctx, string runDir, string dataDir, int threads = 2, int? minDistance = null)
    {
        if (threads < 1) throw new UserError($"--threads must be >= 1, found {threads}");
        // eval writes RUN/eval.json and RUN/eval.csv: RUN is its output, checked and locked before the evaluation.
        Checkpoint.LoadInfo(runDir);
        var output = OutputDirectory.Check(runDir, "--run", Checkpoint.RunKind, [dataDir]);
        TorchRuntime.Init(threads);
        var td = TaskDataLoader.Load(dataDir);
        if (minDistance is int d) td = td.WithTask(td.Task.WithMinDistance(d));
        var (model, info) = Checkpoint.LoadModel(runDir);
        using var _ = model;
        Checkpoint.CheckVocabulary(info, runDir, td);
        using var held = output.Claim();
        var splits = new List<SplitAccuracy>();
        foreach (var split in td.EvalSplits)
            splits.Add(TaskAccuracy.Evaluate(model, td.Task, split, td.Splits[split]));
        // The floor the model should clear: the next token from the current one alone, counted on train.
        var bigram = BigramBaseline.Fit(td.Task, td.Splits["train"]);
        var baseline = td.EvalSplits.SelectMany(s => bigram.Evaluate(td.Task, s, td.Splits[s])).ToList();
        var report = new EvalReport(StudyPaths.Relative(runDir, runDir), StudyPaths.Relative(runDir, dataDir), info.Step, splits, td.Task.Categories, baseline, threads, td.Task.MinDistance);
        Json.Save(Path.Combine(runDir, "eval.json"), report);
        AtomicFile.WriteAllText(Path.Combine(runDir, "eval.csv"), Csv(report));
        Print(ctx, report);
        return 0;
    }

    /// <summary>Long format for pandas: one row per split x breakdown (all / depth / distance / category) x key.</summary>
    static string Csv(EvalReport r)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("split,breakdown,key,scored,correct,accuracy\n");
        foreach (var s in r.Splits)
        {
            sb.Append($"{s.Split},all,,{s.Scored},{s.Correct},{s.Accuracy?.ToString("R", ci)}\n");
            foreach (var b in s.ByDepth) sb.Append($"{s.Split},depth,{b.Key},{b.Scored},{b.Correct},{b.Accuracy?.ToString("R", ci)}\n");
            foreach (var b in s.ByDistance) sb.Append($"{s.Split},distance,{b.Key},{b.Scored},{b.Correct},{b.Accuracy?.ToString("R", ci)}\n");
            if (r.Categories.Count > 1)
                foreach (var b in s.ByCategory) sb.Append($"{s.Split},category,{r.Categories[b.Key]},{b.Scored},{b.Correct},{b.Accuracy?.ToString("R", ci)}\n");
        }
        return sb.ToString();
    }

    static void Print(CliContext ctx, EvalReport r)
    {
        string P(double? v) => v is double a ? a.ToString("P2") : "n/a";
        var t = new Table().Title($"Task accuracy, step {r.Step}").AddColumns("split", "sequences", "scored", "accuracy", "bigram baseline");
        foreach (var s in r.Splits)
            t.AddRow(s.Split, s.Sequences.ToString(), s.Scored.ToString(), P(s.Accuracy), P(r.Baseline.FirstOrDefault(b => b.Split == s.Split && b.Category == "all")?.Accuracy));
        ctx.Console.Write(t);
        if (r.Categories.Count > 1)
        {
            var c = new Table().Title("Accuracy by category (model / bigram baseline)").AddColumn("category");
            foreach (var s in r.Splits) c.AddColumn(ColumnHeader.Split(s.Split));
            for (int k = 0; k < r.Categories.Count; k++)
                c.AddRow(r.Splits.Select(s => $"{P(s.ByCategory.FirstOrDefault(b => b.Key == k)?.Accuracy)} / {P(r.Baseline.FirstOrDefault(b => b.Split == s.Split && b.Category == r.Categories[k])?.Accuracy)}")
                    .Prepend(r.Categories[k]).ToArray());
            ctx.Console.Write(c);
        }
        var depths = r.Splits.SelectMany(s => s.ByDepth.Select(b => b.Key)).Distinct().Order().ToList();
        var d = new Table().Title(r.Categories.Count > 1 ? "Accuracy by bracket depth (counts in eval.csv)" : "Accuracy by depth of the closed bracket (counts in eval.csv)").AddColumn("depth");
        foreach (var s in r.Splits) d.AddColumn(ColumnHeader.Split(s.Split));
        foreach (var depth in depths)
            d.AddRow(r.Splits.Select(s => s.ByDepth.FirstOrDefault(b => b.Key == depth) is { } b ? $"{b.Accuracy:P1}" : "").Prepend(depth.ToString()).ToArray());
        ctx.Console.Write(d);
    }
}
