namespace Mirage.Benchmarks;

/// <summary>
/// The machine's matrix-product peak as measured in this run. <see cref="Bf16Support"/> says whether bf16 was
/// measured and how that was decided (the CPU flag that was found, or the reason it was skipped). <see cref="CpuShare"/>:
/// per product, the share of its threads' CPU time this process was given (<see cref="Benchmarks.CpuShare"/>).
/// </summary>
public sealed record MatmulPeakResult(IReadOnlyList<MatmulTiming> Timings, int Threads, string Bf16Support, Spread CpuShare)
{
    /// <summary>The best median over the sizes: the fp32 peak every utilisation is measured against (GFLOP/s).</summary>
    public double Fp32Peak => Best("fp32")!.Gflops.Median;

    /// <summary>The best bf16 median, or null when bf16 was not measured.</summary>
    public double? Bf16Peak => Best("bf16")?.Gflops.Median;

    /// <summary>The timing with the highest median in <paramref name="dtype"/>.</summary>
    public MatmulTiming? Best(string dtype) => Timings.Where(t => t.DType == dtype).MaxBy(t => t.Gflops.Median);
}
