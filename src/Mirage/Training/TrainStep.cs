namespace Mirage.Training;

/// <summary>One point of the training curve (a row of RUN/loss.csv and RUN/timing.csv).</summary>
public sealed record TrainStep(long Step, double Lr, double Loss, double? IidAccuracy, double TokensPerSecond, double ElapsedSeconds);
