namespace Mirage.Benchmarks;

/// <summary>GFLOP/s of one square matrix product (<paramref name="Size"/>³) in one dtype ("fp32" or "bf16"), over repetitions.</summary>
public sealed record MatmulTiming(int Size, string DType, Spread Gflops);
