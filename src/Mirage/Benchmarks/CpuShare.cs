using System.Diagnostics;

namespace Mirage.Benchmarks;

/// <summary>
/// How much of the CPU this process was given while it was being timed: its CPU time (every thread, user and
/// system) ÷ (wall time × the threads it computes on). Near 1: the figures are what the machine can do at that thread
/// count; well below 1: other work took the cores and the figures measure the sharing. It counts time libtorch's
/// threads spend spinning at a barrier as given, so it shows starvation, not efficiency; and with
/// OMP_WAIT_POLICY=PASSIVE, whose waiting threads sleep instead, it is below 1 on an idle machine too.
/// </summary>
public sealed class CpuShare
{
    readonly TimeSpan _cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    readonly long _wall0 = Stopwatch.GetTimestamp();
    readonly int _threads;

    /// <summary>Starts measuring now, for a computation on <paramref name="threads"/> threads.</summary>
    public CpuShare(int threads) => _threads = Math.Max(1, threads);

    /// <summary>The share since this object was made.</summary>
    public double Share()
    {
        double wall = Stopwatch.GetElapsedTime(_wall0).TotalSeconds;
        return wall <= 0 ? double.NaN : (Process.GetCurrentProcess().TotalProcessorTime - _cpu0).TotalSeconds / (wall * _threads);
    }
}
