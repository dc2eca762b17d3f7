using Mirage.Tasks;

namespace Mirage.Training;

/// <summary>
/// The training settings each task starts from: <c>mirage train</c>'s defaults (a config file and flags override
/// them) and the base of every <c>reproduce</c> scale. Kept here, not in the tasks, so tasks do not depend on training.
/// </summary>
public static class TrainingDefaults
{
    /// <summary>Dyck: train until 97 % IID accuracy (the task metric) or the step budget (docs/method.md §3).</summary>
    public static TrainConfig Dyck => new();

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
