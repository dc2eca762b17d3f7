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
    /// one task of several in a process, so that the next task's peak does not stack on this one's, and for a process
    /// that is about to wait on another (a study starting its task).
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

    /// <summary>What Mirage sets GOMP_SPINCOUNT to when the user has set neither it nor OMP_WAIT_POLICY.</summary>
    public const string DefaultSpinCount = "3000";

    /// <summary>
    /// libtorch's OpenMP threads spin while they wait for work by default (libgomp: 300,000 rounds). Alone on the
    /// machine that costs little, but beside any other busy process (another user's job, or a second Mirage task under
    /// <c>--jobs 2</c>) the spinning threads take the cores the working ones need: training beside one busy process kept
    /// 31 % of its tokens/s spinning and 54 % sleeping at once (passive waiting). Sleeping at once has its own price
    /// alone: a training step opens a few hundred parallel regions, and each wakes the sleeping thread through the
    /// kernel. A short spin before sleeping (3,000 rounds, a hundredth of libgomp's default) catches many of the regions
    /// that follow each other closely and leaves the core to a neighbour soon after. Measured on a Zen 4: 1,000 training
    /// steps took x0.87 (0.85–0.95) the time of sleeping at once, the proxy-stage sweeps x0.81, and beside one busy
    /// process training kept x0.48 of its speed (docs/performance.md, "How OpenMP threads wait"). So Mirage asks for passive waiting
    /// with that spin count unless the user chose a policy or a spin count; results do not depend on either.
    /// </summary>
    static void ChooseWaitPolicy()
    {
        SetUnlessChosen("OMP_WAIT_POLICY", DefaultWaitPolicy);
        // libgomp lets GOMP_SPINCOUNT override the policy's spin count, so it is set only when the user chose neither.
        if (!UserChoseWaiting) SetUnlessChosen("GOMP_SPINCOUNT", DefaultSpinCount);
    }

    /// <summary>Whether the user chose how OpenMP threads wait: read when this class is first used, before Mirage sets either variable.</summary>
    static readonly bool UserChoseWaiting =
        Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null;

    /// <summary>
    /// The environment for <paramref name="processes"/> child processes of <paramref name="threadsEach"/> libtorch threads
    /// that run at once (<c>reproduce --jobs</c>). When their threads outnumber the cores, a thread that spins holds a core
    /// another process's thread needs: two default training tasks side by side, 2 threads each on 2 cores, took x1.13 the
    /// wall time of running one after the other when their threads spun briefly, and x0.91 when they slept at once (docs/performance.md,
    /// "Tasks side by side"). So such children sleep at once, unless the user chose how threads wait; with a core for
    /// every thread they wait as any Mirage process.
    /// </summary>
    public static Dictionary<string, string?> ChildEnvironment(int processes, int threadsEach) =>
        ChildEnvironment(processes, threadsEach, Environment.ProcessorCount, UserChoseWaiting);

    internal static Dictionary<string, string?> ChildEnvironment(int processes, int threadsEach, int cores, bool userChose) =>
        userChose || (long)processes * threadsEach <= cores ? [] : new() { ["OMP_WAIT_POLICY"] = "PASSIVE", ["GOMP_SPINCOUNT"] = "0" };

    /// <summary>True once <see cref="Init"/> has run in this process: libtorch, and with it libgomp, are set up.</summary>
    public static bool Initialized { get { lock (Gate) return _done; } }

    /// <summary>How this process's OpenMP threads wait, as libgomp was told ("OMP_WAIT_POLICY PASSIVE, GOMP_SPINCOUNT 3000"),
    /// for the record of a run: its speed depends on it.</summary>
    public static string WaitPolicy =>
        $"OMP_WAIT_POLICY {Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset"}" +
        (Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is string n ? $", GOMP_SPINCOUNT {n}" : "");

    /// <summary>What Mirage sets MKL_CBWR to when the user has not set it.</summary>
    public const string DefaultMklReproducibility = "AUTO";

    /// <summary>
    /// Same seed, same bits: MKL guarantees run-to-run identical results only in its conditional numerical
    /// reproducibility mode (CNR), with a fixed thread count and no dynamic threading. Outside it, MKL may schedule the
    /// work of a threaded product differently from one run to the next; one of 18 trainings of the default study once
    /// differed in its last bits from step 20 on, for a reason not found (docs/reproducibility.md). MKL_CBWR=AUTO turns
    /// CNR on and keeps the code path MKL would choose anyway: on this machine the same bits as without it (the first
    /// 300 steps of training, and a whole default study), at x1.02 (0.90–1.05) the time of 300 steps. OMP_DYNAMIC=FALSE
    /// (libgomp's default, unless a user's environment says otherwise) keeps OpenMP from giving a parallel region fewer
    /// threads when the machine is loaded. The user's own setting of either stands.
    /// </summary>
    static void ChooseReproducibleThreading()
    {
        SetUnlessChosen("MKL_CBWR", DefaultMklReproducibility);
        SetUnlessChosen("OMP_DYNAMIC", "FALSE");
    }

    /// <summary>
    /// Sets an environment variable that a native library reads once, when it loads: in the C environment (before
    /// libtorch loads) and in .NET's own copy, so that child processes inherit it and the benchmark reports it.
    /// </summary>
    static void SetUnlessChosen(string name, string value)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(name) is not null) return;
        try { SetEnv(name, value, 0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return; }
        Environment.SetEnvironmentVariable(name, value);
    }

    /// <summary>
    /// glibc hands allocations above its (adaptive) mmap threshold straight back to the kernel, so every training
    /// step paid page faults for its activations: a quarter of the process's time was system time. A fixed 32 MiB
    /// threshold (glibc's maximum) and no trimming keep freed blocks in the heap for the next step: 300 default Dyck
    /// steps took 17.7 s instead of 22.7 s here (system time 3.6 s instead of 8.8 s), at the same peak RSS.
    /// MIRAGE_MALLOC_TUNING=0 turns it off. Transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1) were tried
    /// and not chosen: 500 steps in a fresh process took x0.91 of the time, but in a whole study the seeds trained after
    /// the first in the same process took x1.2 (docs/performance.md, "What each lever gave").
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
            ChooseWaitPolicy();
            ChooseReproducibleThreading();
            torch.InitializeDeviceType(DeviceType.CPU);
            if (threads is int t) torch.set_num_threads(t);
            // Before any work runs on two threads: MKL's first vector-maths calls, made concurrently, can race.
            VectorMath.WarmUp();
            _done = true;
        }
    }
}
