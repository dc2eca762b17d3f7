namespace Mirage.Benchmarks;

/// <summary>
/// Seconds of one sweep point (<paramref name="Parameter"/> null: the whole sweep of <paramref name="Proxy"/>) over
/// the run's repetitions: fitting it at every head, and evaluating it on every evaluation split (with the model's
/// own pass on those splits, which a point needs and a whole sweep shares).
/// </summary>
public sealed record SweepPointTiming(string Proxy, int? Parameter, bool WholeSweep, int Points, Spread FitSeconds, Spread EvaluateSeconds);
