using Mirage.Cli.Terminal;
using Mirage.Training;
using Spectre.Console;

namespace Mirage.Cli.Display;

/// <summary>How a training shows on the terminal: a progress bar with step, loss, validation accuracy and tokens/s; lines in logs; a summary line.</summary>
public static class TrainingDisplay
{
    /// <summary>Runs a training with the progress display that suits the output: a bar on a terminal, lines otherwise, none when quiet.</summary>
    public static TrainResult Run(CliContext ctx, bool quiet, TrainConfig tc, Func<ITrainingProgress?, TrainResult> train)
    {
        if (quiet || !ctx.Interactive) return train(quiet ? null : new LineProgress(ctx, tc.EvalEvery));
        TrainResult result = null!;
        ctx.Console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(p => { result = train(new BarProgress(p)); });
        return result;
    }

    /// <summary>One line: how the training ended, and its accuracies.</summary>
    public static void Summary(CliContext ctx, string run, TrainResult result)
    {
        var acc = (result.ValAccuracy is double a ? $"validation accuracy {a:P2}" : "validation accuracy n/a")
            + (result.IidAccuracy is double i ? $", iid accuracy {i:P2}" : "");
        string what = result.AlreadyFinished ? "already trained" : result.StopReason switch
        {
            "target_accuracy" => "reached the target accuracy",
            "step_budget" => "used its step budget",
            _ => "was interrupted; run the same command again to resume",
        };
        ctx.Say($"{run}: {what} at step {result.Step}, {acc}");
    }

    static string Describe(TrainStep s) =>
        $"step {s.Step,6}  loss {s.Loss:F4}  val {(s.ValAccuracy is double a ? a.ToString("P1") : "  -  ")}  {s.TokensPerSecond / 1000:F0}k tok/s";

    /// <summary>A Spectre progress bar whose description shows step, loss, IID accuracy and tokens/s.</summary>
    sealed class BarProgress(ProgressContext p) : ITrainingProgress
    {
        ProgressTask? _task;
        double? _acc;
        public void Started(long step, int total, bool resumed)
        {
            _task = p.AddTask(resumed ? $"resuming at step {step}" : "training", maxValue: total);
            _task.Value = step;
        }
        public void Stepped(TrainStep s)
        {
            _acc = s.ValAccuracy ?? _acc;
            _task!.Value = s.Step;
            if (s.Step % 10 == 0 || s.ValAccuracy is not null) _task.Description = Markup.Escape(Describe(s with { ValAccuracy = _acc }));
        }
    }

    /// <summary>Plain lines (logs, CI): one per evaluation.</summary>
    sealed class LineProgress(CliContext ctx, int every) : ITrainingProgress
    {
        public void Started(long step, int total, bool resumed) => ctx.Stdout.WriteLine(resumed ? $"resuming at step {step} of {total}" : $"training for up to {total} steps");
        public void Stepped(TrainStep s) { if (s.ValAccuracy is not null || s.Step % every == 0) ctx.Stdout.WriteLine(Describe(s)); }
    }
}
