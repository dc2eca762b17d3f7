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
        torch.manual_seed(1234);
        using var a = torch.randn(7, 5, dtype: float64);
        using var b = torch.randn(5, 3, dtype: float64);
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
        torch.manual_seed(1234);
        using var a2 = torch.randn(7, 5, dtype: float64);
        Assert.Equal(av, a2.data<double>().ToArray());
    }

    [Fact]
    public void Mkl_shim_is_built_next_to_the_binaries_and_loaded()
    {
        TorchRuntime.Init();
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "libmklshim.so")), "build/Native.targets should compile libmklshim.so into the output folder");
        if (Environment.GetEnvironmentVariable("MIRAGE_MKL_SHIM") != "0") Assert.True(TorchRuntime.MklShimLoaded);
    }

    [Theory]
    [InlineData(null, "0")]                // unset: Mirage chooses passive waiting (libgomp's own default spins 300000 times)
    [InlineData("ACTIVE", "30000000000")]  // the user's choice stands
    public void OpenMP_waits_passively_unless_the_user_chose_a_policy(string? userPolicy, string spinCount)
    {
        // libgomp reads OMP_WAIT_POLICY once, when it loads; OMP_DISPLAY_ENV=VERBOSE makes it print the spin count it
        // derived (its OMP_WAIT_POLICY line says PASSIVE for "unset" too). A separate process, because this one may
        // have loaded libtorch already, and with the variable cleared, because this process's environment may carry
        // Mirage's choice.
        Assert.Equal(0, CliProcess.Run(Dir, "data", "dyck", "--out", "d", "--train", "200", "--per-split", "20").Code);
        var psi = CliProcess.StartInfo(Dir, "train", "--data", "d", "--out", "r", "--steps", "1", "--threads", "2", "--quiet");
        psi.Environment.Remove("OMP_WAIT_POLICY");
        if (userPolicy is not null) psi.Environment["OMP_WAIT_POLICY"] = userPolicy;
        psi.Environment["OMP_DISPLAY_ENV"] = "VERBOSE";
        var (code, stdout, stderr) = CliProcess.Run(psi);
        Assert.True(code == 0, stderr);
        Assert.Contains($"GOMP_SPINCOUNT = '{spinCount}'", stdout + stderr);
    }

    [Theory]
    [InlineData(null, "glibc.malloc.hugetlb=1")]
    [InlineData("", "glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")]   // added to the user's
    [InlineData("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0")]                              // the user's choice stands
    public void Huge_pages_are_added_to_the_glibc_tunables_unless_the_user_chose(string? user, string expected) =>
        Assert.Equal(expected, TorchRuntime.WithHugePages(user));

    [Fact]
    public void Child_processes_inherit_the_huge_page_tunable()
    {
        TorchRuntime.Init();
        if (Environment.GetEnvironmentVariable("MIRAGE_MALLOC_TUNING") == "0") return;
        var child = new System.Diagnostics.ProcessStartInfo("sh", ["-c", "printf %s \"$GLIBC_TUNABLES\""]) { RedirectStandardOutput = true };
        using (var p = System.Diagnostics.Process.Start(child)!)
        {
            Assert.Contains(TorchRuntime.HugePagesTunable, p.StandardOutput.ReadToEnd());
            p.WaitForExit();
        }
    }

    [Theory]
    [InlineData("", "glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0")]
    public void The_mirage_script_sets_the_huge_page_tunable_for_the_CLI_itself(string user, string expected)
    {
        // ld.so reads GLIBC_TUNABLES only when a process starts, so ./mirage sets it before it starts the CLI. Its
        // block is run here on its own (running the whole script may build the CLI first).
        var script = File.ReadAllText(Path.Combine(RepoRoot(), "mirage"));
        int start = script.IndexOf("if [[ \"${MIRAGE_MALLOC_TUNING", StringComparison.Ordinal);
        Assert.True(start >= 0, "./mirage should set GLIBC_TUNABLES");
        var block = script[start..(script.IndexOf("\nfi\n", start, StringComparison.Ordinal) + 4)];
        var psi = new System.Diagnostics.ProcessStartInfo("bash", ["-c", block + "printf %s \"$GLIBC_TUNABLES\""]) { RedirectStandardOutput = true };
        psi.Environment.Remove("MIRAGE_MALLOC_TUNING");
        psi.Environment["GLIBC_TUNABLES"] = user;
        using var p = System.Diagnostics.Process.Start(psi)!;
        Assert.Equal(expected, p.StandardOutput.ReadToEnd());
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));
}
