using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Mirage.Tests.Hostile;

/// <summary>
/// SIGINT and SIGTERM during train, simplify and reproduce, sent when a progress marker appears (a checkpoint file,
/// a stage line) and never after a fixed sleep; then the same command again, which must succeed. And a second
/// `train` on a run another process is writing. Every command is a real `mirage` process.
/// </summary>
public class InterruptionTests(HostileFixture fixture) : IClassFixture<HostileFixture>
{
    /// <summary>Long enough that the signal always lands mid-training: 300 steps, a checkpoint every 25.</summary>
    static string[] Train(string w, string run) =>
        ["train", "--data", Path.Combine(w, "d"), "--out", Path.Combine(w, run), "--config", Path.Combine(w, "tc.json"), "--steps", "300", "--checkpoint-every", "25", "--eval-every", "25"];

    /// <summary>Every proxy's default sweep on every split: seconds of work after the "fitting proxies" line.</summary>
    static string[] Simplify(string w) =>
        ["simplify", "--run", Path.Combine(w, "r"), "--data", Path.Combine(w, "d"), "--out", Path.Combine(w, "res2"), "--fit-n", "100", "--resamples", "100"];

    static string[] Reproduce(string w) => ["reproduce", "dyck", "--scale", "quick", "--seeds", "1", "--out", Path.Combine(w, "study")];

    /// <summary>
    /// Starts the CLI with SIGINT and SIGTERM at their default dispositions (a test runner may start its children with
    /// SIGINT ignored, as shells do for background jobs), sends <paramref name="signal"/> as soon as
    /// <paramref name="ready"/> holds for a line of stdout or the directory, and returns how the process ended.
    /// </summary>
    /// <param name="group">Send it to the process's whole group (as Ctrl-C or Slurm's scancel do), not to it alone:
    /// the CLI runs in a process group of its own (setsid) for that.</param>
    static (int Code, string Stdout, string Stderr) RunAndSignal(string w, string[] args, string signal, Func<string, bool> ready, bool group = false)
    {
        var psi = new ProcessStartInfo("setsid") { WorkingDirectory = w, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["env", "--default-signal=INT,TERM", "dotnet", MachineProbe.Dll, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = new StringBuilder();
        int sent = 0;
        void Send()
        {
            // kill(2) directly, not a `kill` process: starting one on a busy machine can take longer than the work left.
            if (Interlocked.Exchange(ref sent, 1) == 0)
                Assert.True(Native.Libc.Kill(group ? -p.Id : p.Id, SignalNumber(signal)) == 0, $"kill -{signal} failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
        var reader = Task.Run(() =>
        {
            while (p.StandardOutput.ReadLine() is string line)
            {
                lock (stdout) stdout.AppendLine(line);
                if (ready(line)) Send();
            }
        });
        var clock = Stopwatch.StartNew();
        while (!p.HasExited && Volatile.Read(ref sent) == 0 && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (ready("")) Send();
            Thread.Sleep(10);
        }
        if (!p.WaitForExit(180_000)) { p.Kill(true); Assert.Fail($"mirage {string.Join(' ', args)} did not stop after {signal}"); }
        reader.Wait();
        Assert.True(sent == 1, $"mirage {string.Join(' ', args)} finished before the marker appeared; stdout: {stdout}");
        return (p.ExitCode, stdout.ToString(), stderr.Result);
    }

    static int SignalNumber(string name) => name switch { "INT" => 2, "TERM" => 15, "STOP" => 19, "CONT" => 18, _ => throw new ArgumentException(name) };

    static void NoTemporaryNames(string w)
    {
        foreach (var e in Directory.GetFileSystemEntries(w, "*", SearchOption.AllDirectories))
            Assert.DoesNotMatch(@"\.tmp-\d+-|\.old-[0-9a-f]{32}|\.mirage-probe-", e);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void Train_stopped_by_a_signal_checkpoints_exits_128_plus_the_signal_and_the_same_command_resumes(string signal, int exit)
    {
        var w = fixture.NewCase($"train {signal}");
        var info = Path.Combine(w, "run", "checkpoint", "checkpoint.json");
        var (code, stdout, stderr) = RunAndSignal(w, Train(w, "run"), signal, _ => File.Exists(info));
        Assert.True(code == exit, $"exit {code}: {stderr}{stdout}");
        Assert.Contains("interrupted; run the same command again to resume", stdout);
        HostileAssert.NoStackTrace(stdout + stderr);
        NoTemporaryNames(w);
        using (var doc = JsonDocument.Parse(File.ReadAllText(info))) Assert.True(doc.RootElement.GetProperty("step").GetInt64() < 300);

        var again = CliProcess.Run(w, Train(w, "run"));
        Assert.True(again.Code == 0, again.Stderr + again.Stdout);
        Assert.Contains("used its step budget at step 300", again.Stdout);
    }

    [Fact]
    public void Simplify_stopped_by_SIGINT_then_by_SIGTERM_writes_nothing_and_the_same_command_then_succeeds()
    {
        var w = fixture.NewCase("simplify signals");
        var before = new DirectorySnapshot(w);
        foreach (var (signal, exit) in new[] { ("INT", 130), ("TERM", 143) })
        {
            var (code, stdout, stderr) = RunAndSignal(w, Simplify(w), signal, line => line.Contains("fitting proxies", StringComparison.Ordinal));
            HostileAssert.OneLineError(code, stdout, stderr, exit, [$"interrupted by SIG{signal}"]);
            before.AssertNothingLostOrChanged(".res2.lock");   // no res2, no staging directory
        }
        var again = CliProcess.Run(w, Simplify(w));
        Assert.True(again.Code == 0, again.Stderr + again.Stdout);
        Assert.True(File.Exists(Path.Combine(w, "res2", "faithfulness.csv")));
    }

    /// <summary>
    /// reproduce runs each task in a process of its own: a signal to the parent alone must reach the task (which then
    /// stops rather than finishes), and one sent to the whole group, so reaching the task twice, must still stop it
    /// cleanly with one line.
    /// </summary>
    [Fact]
    public void Reproduce_stopped_by_a_signal_to_it_or_its_group_or_under_jobs_leaves_no_partial_stage_and_then_finishes()
    {
        var w = fixture.NewCase("reproduce signals");
        foreach (var (signal, exit, marker, task, group) in new[]
                 {
                     ("INT", 130, "[2/4] train", "train-0", false), ("TERM", 143, "[3/4] proxies", "proxies-0", false),
                     ("TERM", 143, "seed 0: fitting proxies", "proxies-0", true), ("INT", 130, "seed 0: faithfulness on iid", "proxies-0", true),
                 })
        {
            var (code, stdout, stderr) = RunAndSignal(w, Reproduce(w), signal, line => line.StartsWith(marker, StringComparison.Ordinal), group);
            Assert.True(code == exit, $"exit {code}: {stderr}{stdout}");
            HostileAssert.NoStackTrace(stdout + stderr);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"interrupted by SIG{signal}", stderr);
            NoTemporaryNames(w);
            Assert.False(File.Exists(Path.Combine(w, "study", "stages", task + ".json")), $"{task} ran to its end after SIG{signal}");
            Assert.False(Directory.Exists(Path.Combine(w, "study", "results")), "a results directory was left by the interrupted run");
        }
        // Under --jobs 2 both trainings run at once, each in its own process: a SIGTERM to the parent alone stops both.
        string[] jobs = ["reproduce", "dyck", "--scale", "quick", "--seeds", "2", "--out", Path.Combine(w, "jobs"), "--jobs", "2"];
        var (jcode, jout, jerr) = RunAndSignal(w, jobs, "TERM", line => line.StartsWith("train:1: started", StringComparison.Ordinal));
        HostileAssert.OneLineError(jcode, jout, jerr, 143, ["interrupted by SIGTERM"]);
        Assert.Matches(@"train:1: stopped \(exit \d+\)", jout);
        foreach (var task in new[] { "train-0", "train-1" })
            Assert.False(File.Exists(Path.Combine(w, "jobs", "stages", task + ".json")), $"{task} ran to its end after SIGTERM");
        NoTemporaryNames(w);

        var again = CliProcess.Run(w, Reproduce(w));
        Assert.True(again.Code == 0, again.Stderr + again.Stdout);
        Assert.Contains("done in", again.Stdout);
        Assert.True(File.Exists(Path.Combine(w, "study", "report", "report.html")));
        Assert.Equal("mirage reproduce", IO.OutputManifest.CreatedBy(Path.Combine(w, "study")));
    }

    [Fact]
    public void A_second_train_on_a_run_another_process_is_writing_fails_at_once_naming_its_host_and_pid()
    {
        var w = fixture.NewCase("two writers");
        var info = Path.Combine(w, "run", "checkpoint", "checkpoint.json");
        int? firstPid = null;
        (int Code, string Stdout, string Stderr) second = (-1, "", "");
        var gate = new object();
        var first = RunAndSignal(w, Train(w, "run"), "TERM", _ =>
        {
            lock (gate)
            {
            if (!File.Exists(info) || firstPid is not null) return firstPid is not null;
            // The first writer is mid-training: a second one must be refused at once, not wait and not also write.
            // Read through libc: a .NET read would ask for a shared flock and be refused while the writer holds it.
            int fd = Native.Libc.Open(Path.Combine(w, ".run.lock"), Native.Libc.O_RDONLY, 0);
            firstPid = int.Parse(Native.Libc.ReadAt0(fd, 4096)!.Split(' ')[0]["pid=".Length..]);
            Native.Libc.Close(fd);
            // The first writer is held still (SIGSTOP) while the second runs: its 300 steps take about a second, and on a
            // busy machine the second process can take longer than that to start; had the first finished and released the
            // lock meanwhile, the second would rightly have been let in.
            Assert.Equal(0, Native.Libc.Kill(firstPid.Value, SignalNumber("STOP")));
            var clock = Stopwatch.StartNew();
            try { second = CliProcess.Run(w, Train(w, "run"), 60); }
            finally { Assert.Equal(0, Native.Libc.Kill(firstPid.Value, SignalNumber("CONT"))); }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the second train waited for the lock");
            return true;
            }
        });
        HostileAssert.OneLineError(second.Code, second.Stdout, second.Stderr, 3, ["run", "another mirage process", $"process {firstPid} on host {Environment.MachineName}", "mirage train"]);
        Assert.Equal(143, first.Code);
        var again = CliProcess.Run(w, Train(w, "run"));
        Assert.True(again.Code == 0, again.Stderr + again.Stdout);
    }
}
