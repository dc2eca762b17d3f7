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

    [DllImport("libc.so.6", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    /// <summary>
    /// Gives memory that is free but still held back to the system: a full, compacting collection of the managed heap,
    /// then glibc's free pages (kept on purpose while a step loop runs, see <see cref="TuneMalloc"/>). For the end of
    /// one task of several in a process, so that the next task's peak does not stack on this one's.
    /// </summary>
    public static void ReleaseFreedMemory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();   // tensors freed by finalizers release their native memory here
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        if (!OperatingSystem.IsLinux()) return;
        try { MallocTrim(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }   // not glibc: nothing to trim
    }

    /// <summary>What Mirage sets OMP_WAIT_POLICY to when the user has not set it.</summary>
    public const string DefaultWaitPolicy = "PASSIVE";

    /// <summary>
    /// libtorch's OpenMP threads spin while they wait for work by default. Alone on the machine that costs little, but
    /// beside any other busy process (another user's job, or a second Mirage task under <c>--jobs 2</c>) the spinning
    /// threads take the cores the working ones need. Measured here: training beside one busy process kept 31 % of its
    /// tokens/s with spinning and 54 % with passive waiting; a quick study with <c>--jobs 2 --threads 2</c> took 0.52x
    /// the wall time. Alone it costs some speed (the default Dyck study: 33.5 min against 29.7, single runs; README,
    /// "Speed on this machine"), a price worth paying on shared machines. So Mirage asks for passive waiting unless the user
    /// chose a policy. It must be in the C environment before libgomp loads (it reads it once), and in .NET's own copy
    /// so that child processes inherit it and the benchmark reports it.
    /// </summary>
    static void ChooseWaitPolicy()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null) return;
        try { SetEnv("OMP_WAIT_POLICY", DefaultWaitPolicy, 0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return; }
        Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", DefaultWaitPolicy);
    }

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

    /// <summary>The glibc tunable Mirage adds to GLIBC_TUNABLES for its child processes (and <c>./mirage</c> for itself).</summary>
    public const string HugePagesTunable = "glibc.malloc.hugetlb=1";

    /// <summary>
    /// A first touch of fresh memory costs a page fault per 4 KiB page, about 12 µs each on this machine's virtual
    /// machine: touching a new 95 MB block took 280 ms, and 13 ms when glibc asks for transparent huge pages
    /// (<c>glibc.malloc.hugetlb=1</c>: madvise(MADV_HUGEPAGE) on the memory malloc maps). Blocks over 32 MiB, which
    /// <see cref="TuneMalloc"/> cannot keep, are mapped afresh each time (the oracle fits' float64 copies of 93,000
    /// queries), and arenas grow. Measured, paired, alone: 500 default Dyck training steps in x0.91 of the wall time,
    /// the same weights. ld.so reads the tunable only when a process starts, so it reaches this process through
    /// <c>./mirage</c> and every child (a <c>--jobs</c> task, a Slurm job) through the environment set here. A user's
    /// own <c>glibc.malloc.hugetlb</c> stands; MIRAGE_MALLOC_TUNING=0 leaves the environment alone.
    /// </summary>
    public static string? WithHugePages(string? tunables)
    {
        if (tunables?.Contains("glibc.malloc.hugetlb", StringComparison.Ordinal) == true) return tunables;
        return string.IsNullOrEmpty(tunables) ? HugePagesTunable : $"{tunables}:{HugePagesTunable}";
    }

    static void ChooseHugePages()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MIRAGE_MALLOC_TUNING") == "0") return;
        var current = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
        var wanted = WithHugePages(current);
        if (wanted == current || wanted is null) return;
        try { SetEnv("GLIBC_TUNABLES", wanted, 1); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return; }
        Environment.SetEnvironmentVariable("GLIBC_TUNABLES", wanted);
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
            ChooseHugePages();
            ChooseWaitPolicy();
            torch.InitializeDeviceType(DeviceType.CPU);
            if (threads is int t) torch.set_num_threads(t);
            _done = true;
        }
    }
}
