using System.Runtime.InteropServices;
using TorchSharp;

namespace Mirage.Native;

/// <summary>
/// One-time set-up of libtorch for this process. Call <see cref="Init"/> before the first torch operation.
/// Loads the MKL shim (build/mklshim.c) globally so libtorch's MKL takes its fast path on AMD CPUs; set
/// MIRAGE_MKL_SHIM=0 to turn it off (e.g. to measure its effect).
/// </summary>
public static class TorchRuntime
{
    const int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;
    static readonly object Gate = new();
    static bool _done;

    /// <summary>True when the MKL shim was loaded in this process.</summary>
    public static bool MklShimLoaded { get; private set; }

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    static extern IntPtr DlOpen(string file, int mode);

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    static extern int MallOpt(int param, int value);

    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    /// <summary>
    /// glibc hands allocations above its (adaptive) mmap threshold straight back to the kernel, so every training
    /// step paid page faults for its activations: a quarter of the process's time was system time. A fixed 32 MiB
    /// threshold (glibc's maximum) and no trimming keep freed blocks in the heap for the next step: 300 default Dyck
    /// steps took 17.7 s instead of 22.7 s here (system time 3.6 s instead of 8.8 s), at the same peak RSS.
    /// MIRAGE_MALLOC_TUNING=0 turns it off.
    /// </summary>
    static void TuneMalloc()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MIRAGE_MALLOC_TUNING") == "0") return;
        try
        {
            MallOpt(M_MMAP_THRESHOLD, 32 << 20);
            MallOpt(M_TRIM_THRESHOLD, int.MaxValue);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }   // not glibc (musl): leave it
    }

    public static void Init(int? threads = null)
    {
        lock (Gate)
        {
            if (_done) { if (threads is int t0) torch.set_num_threads(t0); return; }
            if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("MIRAGE_MKL_SHIM") != "0")
            {
                var shim = Path.Combine(AppContext.BaseDirectory, "libmklshim.so");
                // Must be RTLD_GLOBAL and before libtorch_cpu.so loads, so its symbol wins the lookup.
                if (File.Exists(shim)) MklShimLoaded = DlOpen(shim, RTLD_NOW | RTLD_GLOBAL) != IntPtr.Zero;
            }
            TuneMalloc();
            torch.InitializeDeviceType(DeviceType.CPU);
            if (threads is int t) torch.set_num_threads(t);
            _done = true;
        }
    }
}
