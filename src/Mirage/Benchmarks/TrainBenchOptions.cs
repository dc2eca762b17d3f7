namespace Mirage.Benchmarks;

/// <summary>
/// How <c>mirage bench train</c> repeats its measurements: <see cref="Reps"/> timed repetitions of every block, at
/// <see cref="Threads"/> libtorch threads; with <see cref="Contention"/> each repetition also times training beside a
/// competing CPU-bound process.
/// </summary>
public sealed record TrainBenchOptions(int Reps = 5, int Threads = 2, bool Contention = false);
