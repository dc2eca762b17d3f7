namespace Mirage.Training;

/// <summary>How a call to <see cref="Trainer.Train"/> ended.</summary>
public sealed record TrainResult(long Step, string StopReason, double? IidAccuracy, bool Resumed, bool AlreadyFinished);
