namespace Mirage.Training;

/// <summary>How a call to <see cref="Trainer.Train"/> ended.</summary>
/// <remarks>
/// <see cref="ValAccuracy"/>: the last accuracy on the validation split, the one training stops on; <see cref="IidAccuracy"/>:
/// the accuracy on the whole iid split, measured once training has stopped.
/// </remarks>
public sealed record TrainResult(long Step, string StopReason, double? ValAccuracy, double? IidAccuracy, bool Resumed, bool AlreadyFinished);
