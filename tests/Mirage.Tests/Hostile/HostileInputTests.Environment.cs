using System.Diagnostics;

namespace Mirage.Tests.Hostile;

/// <summary>The hostile cases that need the machine's help: a full or read-only disk (a tmpfs), and a user who is not root.</summary>
public partial class HostileInputTests
{
    /// <summary>A tmpfs mounted for one test and unmounted after it.</summary>
    sealed class Tmpfs : IDisposable
    {
        public string Dir { get; }
        public Tmpfs(string dir, string options)
        {
            Dir = Directory.CreateDirectory(dir).FullName;
            Assert.Null(MachineProbe.Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", Dir));
        }
        public void Dispose() => MachineProbe.Run("umount", Dir);
    }

    /// <summary>(command, its --out under the full disk): every command that writes an output directory.</summary>
    public static TheoryData<string> FullDiskCommands => new() { "data", "train", "simplify", "report" };

    [TmpfsTheory]
    [MemberData(nameof(FullDiskCommands))]
    public void A_full_disk_is_one_line_with_exit_3_and_leaves_nothing_but_the_lock(string command)
    {
        var w = fixture.NewCase($"full disk {command}");
        using var disk = new Tmpfs(Path.Combine(w, "disk"), "size=200k");
        // The user's file fills the disk to within a few pages; it must come out untouched.
        File.WriteAllBytes(Path.Combine(disk.Dir, "user.bin"), Enumerable.Range(0, 190_000).Select(i => (byte)(i * 7)).ToArray());
        var o = Path.Combine(disk.Dir, "out");
        string[] args = command switch
        {
            "data" => [.. D.Select(a => a.Replace("{w}", w)), "--train", "4000", "--out", o],
            "train" => [.. T.Select(a => a.Replace("{w}", w)), "--out", o],
            "simplify" => [.. S.Select(a => a.Replace("{w}", w)), "--out", o],
            _ => [.. R.Select(a => a.Replace("{w}", w)), "--out", o],
        };
        if (command == "data") args = [.. args.Where((_, i) => i is < 6 or > 7)];   // D's --train 400 replaced by 4000
        var before = new DirectorySnapshot(w);
        var (code, stdout, stderr) = CliRunner.Run(args);
        HostileAssert.OneLineError(code, stdout, stderr, 3, ["No space left on device", "disk/out"]);
        before.AssertNothingLostOrChanged("disk/.out.lock");
    }

    [TmpfsFact]
    public void A_read_only_file_system_is_one_line_with_exit_3_and_creates_nothing()
    {
        var w = fixture.NewCase("read-only disk");
        using var disk = new Tmpfs(Path.Combine(w, "ro"), "ro,size=64k");
        var before = new DirectorySnapshot(w);
        var (code, stdout, stderr) = CliRunner.Run([.. D.Select(a => a.Replace("{w}", w)), "--out", Path.Combine(disk.Dir, "d")]);
        HostileAssert.OneLineError(code, stdout, stderr, 3, ["ro/d", "Read-only file system"]);
        before.AssertNothingLostOrChanged();
    }

    /// <summary>(case, what nobody runs, what the message names, what it may leave) — the case directory belongs to root.</summary>
    public static TheoryData<string> NobodyCases => new() { "eval: run not writable", "eval: split unreadable", "train: config unreadable", "train: run not writable",
        "simplify: --out not writable", "data: parent not writable", "report: parent not writable" };

    [AsNobodyTheory]
    [MemberData(nameof(NobodyCases))]
    public void As_a_user_without_permission_every_command_fails_at_once_with_exit_3_and_changes_nothing(string name)
    {
        var w = fixture.NewCase(name);
        File.SetUnixFileMode(Path.GetDirectoryName(w)!, (UnixFileMode)0b111_101_101);
        string[] args; string[] mentions; string[] mayCreate = [];
        string X(string s) => s.Replace("{w}", w);
        switch (name)
        {
            case "eval: run not writable":
                args = E; mentions = ["--run", "/r", "cannot write", "permission denied"]; break;
            case "eval: split unreadable":
                File.SetUnixFileMode(Path.Combine(w, "d/train.jsonl"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
                args = E; mentions = ["d/train.jsonl", "denied"]; break;
            case "train: config unreadable":
                File.SetUnixFileMode(Path.Combine(w, "tc.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
                args = [.. T, "--out", "{w}/x"]; mentions = ["tc.json", "permission denied"]; break;
            case "train: run not writable":
                args = [.. T, "--out", "{w}/r", "--steps", "40"]; mentions = ["--out", "/r", "cannot write", "permission denied"]; break;
            case "simplify: --out not writable":
                File.SetUnixFileMode(w, (UnixFileMode)0b111_111_111);
                Directory.CreateDirectory(Path.Combine(w, "out"));
                args = [.. S, "--out", "{w}/out"]; mentions = ["--out", "/out", "cannot write", "permission denied"]; mayCreate = [".out.lock"]; break;
            case "data: parent not writable":
                args = [.. D, "--out", "{w}/x"]; mentions = ["/x", "lock file", "Permission denied"]; break;
            default:
                args = [.. R, "--out", "{w}/x"]; mentions = ["/x", "lock file", "Permission denied"]; break;
        }
        var before = new DirectorySnapshot(w);
        var (code, stdout, stderr) = RunAsNobody(w, args.Select(X).ToArray());
        HostileAssert.OneLineError(code, stdout, stderr, 3, mentions.Select(X));
        if (name.StartsWith("eval", StringComparison.Ordinal)) Assert.DoesNotContain("accuracy", stdout);   // it failed before evaluating, not after
        before.AssertNothingLostOrChanged(mayCreate);
    }

    static (int Code, string Stdout, string Stderr) RunAsNobody(string workDir, string[] args)
    {
        var psi = new ProcessStartInfo("runuser") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-u", "nobody", "--", "env", "HOME=/tmp", "dotnet", MachineProbe.Dll, .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"mirage {string.Join(' ', args)} as nobody did not finish"); }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
