using Mirage.IO;
using Mirage.Model;
using Mirage.Tasks;
using Mirage.Training;

namespace Mirage.Study;

/// <summary>
/// The training step (<c>mirage train</c>): trains into a run directory, resuming its checkpoint, under the run's lock.
/// A run this step created and that failed before its first checkpoint is removed whole.
/// </summary>
public static class TrainingStage
{
    /// <param name="inputs">Files the settings came from, which the run directory may not overlap.</param>
    /// <param name="wrap">
    /// Runs the training with a progress receiver (the CLI wraps it in a progress display); called after every check,
    /// once the run's lock is held.
    /// </param>
    public static TrainResult Run(TaskData data, ModelConfig mc, TrainConfig tc, string run, CancellationToken cancel,
        IEnumerable<string?>? inputs = null, Func<Func<ITrainingProgress?, TrainResult>, TrainResult>? wrap = null)
    {
        var output = OutputDirectory.Check(run, "--out", Checkpoint.RunKind, (inputs ?? []).Append(data.Directory));
        new Trainer(data, mc, tc, run).Check();   // every setting against the data before anything is written
        bool existed = output.Exists;
        using var held = output.Claim();
        try
        {
            TrainResult Train(ITrainingProgress? progress) => new Trainer(data, mc, tc, run) { Cancel = cancel, Progress = progress }.Train();
            return wrap is null ? Train(null) : wrap(Train);
        }
        catch when (!existed && !Checkpoint.Exists(run))
        {
            // A run this step created that failed before its first checkpoint (a divergence, a full disk) is removed
            // whole: it holds nothing but what this process wrote, and the lock keeps everyone else out.
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
            throw;
        }
    }
}
