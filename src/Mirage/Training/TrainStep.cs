namespace Mirage.Training;

/// <summary>One point of the training curve (a row of RUN/loss.csv and RUN/timing.csv).</summary>
/// <remarks><see cref="ValAccuracy"/>: the task metric on the validation split (<see cref="Tasks.TaskData.ValidationSplit"/>), at evaluation steps only.
/// <see cref="PaddedLength"/>: the positions of this step's batch after padding (0 when unknown: a row from a run
/// written before the column existed); <see cref="StepSeconds"/>: the wall time of this step's training work alone
/// (forward, backward, update), without evaluation or checkpoint; <see cref="Tokens"/>: the tokens this step's batch
/// predicts (padding excluded; 0 when unknown), the count model FLOP utilisation is measured in.</remarks>
public sealed record TrainStep(long Step, double Lr, double Loss, double? ValAccuracy, double TokensPerSecond, double ElapsedSeconds,
    int PaddedLength = 0, double StepSeconds = 0, long Tokens = 0);
