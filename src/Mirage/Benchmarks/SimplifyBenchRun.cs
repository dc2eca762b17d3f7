namespace Mirage.Benchmarks;

/// <summary>
/// What <c>mirage bench simplify</c> measured, in seconds over <see cref="Reps"/> repetitions: capturing the fit
/// set's queries and keys, the model's own pass over the evaluation splits (the part of every evaluation that is not
/// a proxy's), each sweep point and each proxy's whole sweep, and (when asked) the whole proxy stage.
/// <see cref="CpuShare"/>: per repetition (the stage apart), the share of its threads' CPU time this process was given.
/// </summary>
public sealed record SimplifyBenchRun(IReadOnlyList<SweepPointTiming> Timings, Spread CaptureSeconds, Spread ModelPassSeconds,
    IReadOnlyList<string> Splits, int FitN, int EvalSequences, int Heads, int Reps, int Threads, Spread CpuShare, Spread? StageSeconds);
