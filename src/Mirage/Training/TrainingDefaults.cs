using Mirage.Tasks;

namespace Mirage.Training;

/// <summary>
/// The training settings each task starts from: <c>mirage train</c>'s defaults (a config file and flags override
/// them) and the base of every <c>reproduce</c> scale. Kept here, not in the tasks, so tasks do not depend on training.
/// </summary>
public static class TrainingDefaults
{
    /// <summary>
    /// Dyck (docs/method.md §3): train until 97.5 % on the validation split, so that the full 2,000-sequence iid split,
    /// a fresh sample of the same distribution measured once at the stop, is at 97 % or more with a margin. An EMA of the
    /// weights (decay 0.995) is what is evaluated: it reaches the target in fewer steps than the raw weights (seed 0:
    /// 5,000 steps against 6,500 without). The 10,000-step cosine is a budget long enough for the slowest seed measured:
    /// a 6,000-step one left a seed at 95.9 % (its lr decayed before it got there), and a longer schedule costs the fast
    /// seeds only a few hundred steps.
    /// </summary>
    public static TrainConfig Dyck => new()
    {
        Steps = 10_000, EmaDecay = 0.995, TargetAccuracy = 0.975, EvalEvery = 250, EvalSequences = 2000, CheckpointEvery = 1000,
    };

    /// <summary>
    /// Code: next-character prediction has no accuracy at which training is "done": train the whole budget. Batches of
    /// 32 windows (8,224 tokens a step); 1,000 steps is what fits `reproduce code`'s 30 minutes on 2 cores.
    /// </summary>
    public static TrainConfig Code => new()
    {
        TargetAccuracy = 0, Steps = 1000, BatchSize = 32, WarmupSteps = 100, EvalEvery = 250, EvalSequences = 200, CheckpointEvery = 250,
    };

    /// <summary>The defaults for a task by its name; a task without its own starts from <see cref="TrainConfig"/>'s.</summary>
    public static TrainConfig For(ISequenceTask task) => task.Name switch
    {
        "dyck" => Dyck,
        "code" => Code,
        _ => new TrainConfig(),
    };
}
