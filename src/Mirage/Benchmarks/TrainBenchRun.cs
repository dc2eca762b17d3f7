namespace Mirage.Benchmarks;

/// <summary>
/// One run of <c>mirage bench train</c>: a result per model, and the process's memory, which the models share
/// (RSS in MB after the warm-up, after half of the repetitions, at the end, and its peak). Flat memory is RSS at
/// the end equal to RSS halfway: every step runs in a dispose scope and the allocator settles during the warm-up.
/// <see cref="CpuShare"/>: per repetition, the share of its threads' CPU time this process was given while the
/// uncontended blocks ran (<see cref="Benchmarks.CpuShare"/>).
/// </summary>
public sealed record TrainBenchRun(IReadOnlyList<TrainBenchResult> Results, bool MklShim, int Threads, int Reps, string? RealSource, Spread CpuShare,
    double RssAfterWarmupMb, double RssHalfwayMb, double RssAtEndMb, double PeakRssMb);
