using System.Diagnostics;

namespace Mirage.Tests.Hostile;

/// <summary>
/// What this machine lets the hostile tests do: mount a small tmpfs (a full disk, a read-only file system) and run
/// the CLI as an unprivileged user. Each is probed once; the attributes below skip a test with the reason when it
/// cannot be done here, rather than pretending it passed.
/// </summary>
public static class MachineProbe
{
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Mirage.Cli.dll");

    static readonly Lazy<string?> TmpfsProblem = new(() =>
    {
        if (Environment.UserName != "root") return "mounting a tmpfs needs root";
        var dir = Directory.CreateTempSubdirectory("mirage-tmpfs-probe-").FullName;
        try
        {
            if (Run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", dir) is string why) return $"mount -t tmpfs failed: {why}";
            Run("umount", dir);
            return null;
        }
        finally { try { Directory.Delete(dir); } catch (IOException) { } }
    });

    static readonly Lazy<string?> NobodyProblem = new(() =>
    {
        if (Environment.UserName != "root") return "running as another user needs root (runuser)";
        if (!File.Exists("/usr/sbin/runuser") && !File.Exists("/sbin/runuser")) return "runuser is not installed";
        var why = Run("runuser", "-u", "nobody", "--", "env", "HOME=/tmp", "dotnet", Dll, "--help");
        return why is null ? null : $"`runuser -u nobody -- dotnet Mirage.Cli.dll` does not run here ({why})";
    });

    /// <summary>Null when a tmpfs can be mounted, else why not.</summary>
    public static string? CannotMountTmpfs => TmpfsProblem.Value;

    /// <summary>Null when the CLI runs as the user nobody, else why not.</summary>
    public static string? CannotRunAsNobody => NobodyProblem.Value;

    /// <summary>Runs a command to the end; null on exit 0, else its error output.</summary>
    public static string? Run(string exe, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(60_000)) { p.Kill(true); return "timed out"; }
            return p.ExitCode == 0 ? null : $"exit {p.ExitCode}: {err.Result.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e) { return e.Message; }
    }
}

/// <summary>A fact that needs a tmpfs mount; skipped, with the reason, where mounting is not permitted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute() { if (MachineProbe.CannotMountTmpfs is string why) Skip = $"needs a tmpfs mount: {why}"; }
}

/// <summary>A fact that runs the CLI as the user nobody; skipped, with the reason, where that is not possible.</summary>
public sealed class AsNobodyFactAttribute : FactAttribute
{
    public AsNobodyFactAttribute() { if (MachineProbe.CannotRunAsNobody is string why) Skip = $"needs a non-root user: {why}"; }
}

/// <summary>A theory that needs a tmpfs mount; skipped, with the reason, where mounting is not permitted.</summary>
public sealed class TmpfsTheoryAttribute : TheoryAttribute
{
    public TmpfsTheoryAttribute() { if (MachineProbe.CannotMountTmpfs is string why) Skip = $"needs a tmpfs mount: {why}"; }
}

/// <summary>A theory that runs the CLI as the user nobody; skipped, with the reason, where that is not possible.</summary>
public sealed class AsNobodyTheoryAttribute : TheoryAttribute
{
    public AsNobodyTheoryAttribute() { if (MachineProbe.CannotRunAsNobody is string why) Skip = $"needs a non-root user: {why}"; }
}
