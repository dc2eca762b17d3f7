namespace Mirage.Training;

/// <summary>One point of the training curve (a row of RUN/loss.csv and RUN/timing.csv).</summary>
/// <remarks><see cref="ValAccuracy"/>: the task metric on the validation split (<see cref="Tasks.TaskData.ValidationSplit"/>), at evaluation steps only.</remarks>
public sealed record TrainStep(long Step, double Lr, double Loss, double? ValAccuracy, double TokensPerSecond, double ElapsedSeconds);
