using System.Diagnostics;
using Mirage.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Benchmarks;

/// <summary>
/// Measures what this machine's libtorch reaches on large square matrix products, the ceiling for a model whose work
/// is matrix products: fp32 always, bf16 when the CPU has bf16 instructions. Run at the thread count of the rest of
/// the benchmark, so that the utilisation it is divided into compares like with like.
/// </summary>
public static class MatmulPeak
{
    /// <summary>CPU flags (Linux /proc/cpuinfo) that give libtorch (oneDNN) a native bf16 product.</summary>
    static readonly string[] Bf16Flags = ["avx512_bf16", "amx_bf16"];

    public static MatmulPeakResult Measure(IReadOnlyList<int> sizes, int reps, int threads)
    {
        TorchRuntime.Init(threads);
        var (bf16, support) = Bf16();
        var timings = new List<MatmulTiming>();
        var shares = new List<double>();
        foreach (var dtype in bf16 ? new[] { ScalarType.Float32, ScalarType.BFloat16 } : [ScalarType.Float32])
            foreach (var n in sizes)
                timings.Add(new MatmulTiming(n, dtype == ScalarType.Float32 ? "fp32" : "bf16", Spread.Of(Time(n, dtype, reps, shares))));
        return new MatmulPeakResult(timings, torch.get_num_threads(), support, Spread.Of(shares));
    }

    /// <summary>GFLOP/s of <paramref name="reps"/> products n×n by n×n (2n³ FLOPs each), after one untimed product.</summary>
    static IEnumerable<double> Time(int n, ScalarType dtype, int reps, List<double> cpuShares)
    {
        using var gen = new torch.Generator(0);
        using var a = torch.randn(n, n, generator: gen).to(dtype);
        using var b = torch.randn(n, n, generator: gen).to(dtype);
        using var c = torch.empty(n, n, dtype: dtype);
        // Into a preallocated output (beta 0: c is only written): timing the product, not the allocator.
        c.addmm_(a, b, beta: 0, alpha: 1);
        var result = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var cpu = new CpuShare(torch.get_num_threads());
            long start = Stopwatch.GetTimestamp();
            c.addmm_(a, b, beta: 0, alpha: 1);
            result[r] = 2.0 * n * n * n / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
            cpuShares.Add(cpu.Share());
        }
        return result;
    }

    /// <summary>
    /// Whether to measure bf16, and why, from the CPU flags. libtorch runs a bf16 product on any x86 CPU, but without
    /// these instructions it converts to fp32 and back, which is slower than fp32: measuring that would report a
    /// "bf16 peak" no bf16 training path could use.
    /// </summary>
    static (bool Measure, string Why) Bf16()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return (false, "not measured: no /proc/cpuinfo to read the CPU's bf16 flags from");
        var flags = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2).ElementAtOrDefault(1)?
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet() ?? [];
        var found = Bf16Flags.Where(flags.Contains).ToList();
        return found.Count > 0
            ? (true, $"measured: the CPU has {string.Join(" and ", found)} (/proc/cpuinfo)")
            : (false, $"not measured: the CPU lacks {string.Join(" and ", Bf16Flags)} (/proc/cpuinfo), so libtorch would emulate bf16 in fp32");
    }
}
