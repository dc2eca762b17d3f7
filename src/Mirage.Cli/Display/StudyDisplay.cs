using System.Diagnostics;
using Mirage.Cli.Terminal;
using Mirage.Faithfulness;
using Mirage.Study;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;
using Mirage.Training;

namespace Mirage.Cli.Display;

/// <summary>
/// How a study shows on the terminal: one header line per task (<c>[3/8] train:1 — seed 1: ...</c>), skipped tasks
/// said so, and each task's own display (data tables, training bars, proxy progress) unless quiet.
/// </summary>
public sealed class StudyDisplay(CliContext ctx, bool quiet, TrainConfig training) : IStudyObserver
{
    readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// A task run by a <c>reproduce</c> parent in its own process: the parent prints the task's header line and the
    /// study's warnings, so the task prints neither again.
    /// </summary>
    public bool PartOfStudy { get; init; }

    public void Starting(StudyTask task, int index, int count, string description, bool alreadyDone)
    {
        if (!PartOfStudy) ctx.Say($"[{index}/{count}] {task.Name} — {description}{(alreadyDone ? " — already done with these settings, skipped" : "")}  ({_clock.Elapsed:mm\\:ss})");
    }

    public void Finished(StudyTask task, TaskUsage usage) => ctx.Say($"{task.Name} done: {usage.Describe()}");

    public void Note(string line) { if (!quiet) ctx.Say(line); }
    public void Warning(string line) { if (!PartOfStudy) ctx.Stderr.WriteLine(line); }

    public void DataReady(DataOutcome outcome)
    {
        if (quiet) return;
        var took = outcome.Reused ? (TimeSpan?)null : outcome.Took;
        if (File.Exists(Path.Combine(outcome.Directory, "train.jsonl")) && Mirage.IO.OutputManifest.Field(outcome.Directory, "task") == "dyck")
            DataTables.Dyck(ctx, DyckData.ReadManifest(outcome.Directory), took);
        else DataTables.Code(ctx, CodeData.ReadManifest(outcome.Directory), took);
    }

    public TrainResult Training(int seed, Func<ITrainingProgress?, TrainResult> train)
    {
        var result = TrainingDisplay.Run(ctx, quiet, training, train);
        TrainingDisplay.Summary(ctx, $"  seed {seed}", result);
        return result;
    }

    public SimplifyResults Proxies(int seed, Func<IProgress<StageProgress>?, SimplifyResults> run) => ProxyDisplay.Run(ctx, quiet, run);
}
