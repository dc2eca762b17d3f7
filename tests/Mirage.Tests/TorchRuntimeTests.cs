using Mirage.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Tests;

public class TorchRuntimeTests : TempDirectoryTests
{
    [Fact]
    public void Libtorch_loads_and_a_seeded_matmul_matches_a_plain_CSharp_product()
    {
        TorchRuntime.Init();
        // A generator of the test's own: the global one is shared with the tests running beside this one.
        using var g = new torch.Generator(1234);
        using var a = torch.randn(7, 5, dtype: float64, generator: g);
        using var b = torch.randn(5, 3, dtype: float64, generator: g);
        using var c = a.matmul(b);
        double[] av = a.data<double>().ToArray(), bv = b.data<double>().ToArray(), cv = c.data<double>().ToArray();
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int k = 0; k < 5; k++) s += av[i * 5 + k] * bv[k * 3 + j];
                Assert.Equal(s, cv[i * 3 + j], 12);
            }
        // Same seed, same numbers: the determinism everything else relies on.
        using var g2 = new torch.Generator(1234);
        using var a2 = torch.randn(7, 5, dtype: float64, generator: g2);
        Assert.Equal(av, a2.data<double>().ToArray());
    }

    [Fact]
    public void Mkl_shim_is_built_next_to_the_binaries_and_loaded()
    {
        TorchRuntime.Init();
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "libmklshim.so")), "build/Native.targets should compile libmklshim.so into the output folder");
        if (Environment.GetEnvironmentVariable("MIRAGE_MKL_SHIM") != "0") Assert.True(TorchRuntime.MklShimLoaded);
    }

    /// <summary>
    /// One training step in a separate process — this one may have loaded libtorch already — with
    /// <paramref name="variables"/> cleared (this process's environment may carry Mirage's choices) and then those with a
    /// value set to it (the user's choice), and <paramref name="verbose"/> set to make the native library say what it
    /// chose. Returns everything the process printed.
    /// </summary>
    string OneStepWith((string Name, string? UserValue)[] variables, (string Name, string Value) verbose)
    {
        Assert.Equal(0, CliProcess.Run(Dir, "data", "dyck", "--out", "d", "--train", "200", "--per-split", "20").Code);
        var psi = CliProcess.StartInfo(Dir, "train", "--data", "d", "--out", "r", "--steps", "1", "--threads", "2", "--quiet");
        foreach (var (name, value) in variables)
        {
            psi.Environment.Remove(name);
            if (value is not null) psi.Environment[name] = value;
        }
        psi.Environment[verbose.Name] = verbose.Value;
        var (code, stdout, stderr) = CliProcess.Run(psi);
        Assert.True(code == 0, stderr);
        return stdout + stderr;
    }

    [Theory]
    [InlineData(null, null, "3000")]             // unset: Mirage chooses a short spin, then sleep (libgomp's own default spins 300000 times)
    [InlineData("ACTIVE", null, "30000000000")]  // the user's policy stands
    [InlineData("PASSIVE", null, "0")]           // passive waiting as libgomp means it: sleep at once
    [InlineData(null, "500", "500")]             // the user's spin count stands
    public void OpenMP_spins_briefly_then_sleeps_unless_the_user_chose_how_to_wait(string? userPolicy, string? userSpinCount, string spinCount)
    {
        // libgomp reads both once, when it loads; OMP_DISPLAY_ENV=VERBOSE makes it print the spin count it derived
        // (its OMP_WAIT_POLICY line says PASSIVE for "unset" too).
        var output = OneStepWith([("OMP_WAIT_POLICY", userPolicy), ("GOMP_SPINCOUNT", userSpinCount)], ("OMP_DISPLAY_ENV", "VERBOSE"));
        Assert.Contains($"GOMP_SPINCOUNT = '{spinCount}'", output);
    }

    [Theory]
    [InlineData(2, 2, 2, false, "0")]     // 4 threads on 2 cores: sleep at once
    [InlineData(2, 1, 2, false, null)]    // a core for every thread: wait as any Mirage process
    [InlineData(2, 2, 4, false, null)]
    [InlineData(3, 2, 4, false, "0")]
    [InlineData(2, 2, 2, true, null)]     // the user's choice stands
    public void Tasks_side_by_side_sleep_at_once_only_when_their_threads_outnumber_the_cores(int processes, int threads, int cores, bool userChose, string? spinCount)
    {
        var env = TorchRuntime.ChildEnvironment(processes, threads, cores, userChose);
        if (spinCount is null) Assert.Empty(env);
        else
        {
            Assert.Equal(spinCount, env["GOMP_SPINCOUNT"]);
            Assert.Equal("PASSIVE", env["OMP_WAIT_POLICY"]);
        }
    }

    [Theory]
    [InlineData(null, "CNR:AUTO")]              // unset: MKL's reproducibility mode, on the code path it would choose anyway
    [InlineData("COMPATIBLE", "CNR:COMPATIBLE")] // the user's choice stands
    public void Mkl_runs_in_its_reproducible_mode_unless_the_user_chose_one(string? userSetting, string mode)
    {
        // MKL_VERBOSE=1 makes MKL print each call with the CNR mode it ran in.
        var output = OneStepWith([("MKL_CBWR", userSetting)], ("MKL_VERBOSE", "1"));
        var calls = output.Split('\n').Where(l => l.StartsWith("MKL_VERBOSE SGEMM", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.Contains(mode, c));
        Assert.All(calls, c => Assert.Contains("Dyn:0", c));   // no dynamic thread counts either
    }
}
