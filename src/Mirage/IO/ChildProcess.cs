using System.Diagnostics;
using System.Text;

namespace Mirage.IO;

/// <summary>How a child process ended: its exit code (-1 when it could not start or timed out), both outputs, and its peak resident memory.</summary>
public sealed record ChildResult(int ExitCode, string Output, string Error, double PeakRssMb, bool TimedOut = false)
{
    public bool Ok => ExitCode == 0;
}

/// <summary>
/// The one way Mirage runs another program (apt-get, dpkg-deb, python3, a child mirage). Both pipes are read as the
/// child runs — a chatty child such as apt-get would otherwise block on a full pipe — and its peak RSS (VmHWM) is
/// sampled meanwhile: the child's own getrusage peak is no good, as Linux carries ru_maxrss over fork and exec, so a
/// child of this process would report our peak, not its own.
/// </summary>
public static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="exe"/> to its end (or <paramref name="timeout"/>); never throws for a program that cannot
    /// start. When <paramref name="cancel"/> fires, the child gets <paramref name="signal"/> (as in <see cref="RunAttached"/>).
    /// </summary>
    public static ChildResult Run(string exe, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null,
        CancellationToken cancel = default, Func<int>? signal = null)
    {
        if (TryStart(exe, args, redirect: true, environment, workingDirectory, out var cannotRun) is not Process p)
            return new ChildResult(-1, "", cannotRun!, 0);
        using var _ = p;
        var output = new StringBuilder();
        var error = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var forward = PassOn(p, cancel, signal);
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (!p.WaitForExit(100))
        {
            if (timeout is TimeSpan t && clock.Elapsed > t)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                return new ChildResult(-1, output.ToString(), $"{exe} timed out after {t.TotalSeconds:F0} s", peak / (1024.0 * 1024), TimedOut: true);
            }
            try { p.Refresh(); peak = Math.Max(peak, p.PeakWorkingSet64); }
            catch (InvalidOperationException) { break; }   // exited between the two calls
        }
        p.WaitForExit();
        return new ChildResult(p.ExitCode, output.ToString(), error.ToString(), peak / (1024.0 * 1024));
    }

    /// <summary>
    /// Starts <paramref name="exe"/> in the background (e.g. a competing load for a benchmark); disposing the result
    /// kills it and everything it started. Its output is read and dropped, so it can neither block on a full pipe nor
    /// write into ours. Throws a <see cref="UserError"/> when the program cannot start.
    /// </summary>
    public static BackgroundChild Start(string exe, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var p = TryStart(exe, args, redirect: true, environment, null, out var cannotRun) ?? throw new UserError(cannotRun!);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new BackgroundChild(p);
    }

    /// <summary>
    /// Runs <paramref name="exe"/> in the foreground and returns its exit code (-1, with a line to
    /// <paramref name="stderrLine"/> or stderr, when it cannot start). With no line receivers the child shares this
    /// process's terminal, so its progress bars draw there; with them, each line of its output is handed on as it comes.
    /// When <paramref name="cancel"/> fires, the child gets <paramref name="signal"/> (SIGTERM unless said otherwise) and
    /// is waited for: a child that stops cleanly on a signal is never killed half-way.
    /// </summary>
    public static int RunAttached(string exe, IEnumerable<string> args, CancellationToken cancel, Func<int>? signal = null,
        Action<string>? stdoutLine = null, Action<string>? stderrLine = null)
    {
        bool forward = stdoutLine is not null || stderrLine is not null;
        if (TryStart(exe, args, forward, null, null, out var cannotRun) is not Process p)
        {
            (stderrLine ?? Console.Error.WriteLine)($"error: {cannotRun}");
            return -1;
        }
        using var _ = p;
        if (forward)
        {
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) (stdoutLine ?? Console.Out.WriteLine)(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) (stderrLine ?? Console.Error.WriteLine)(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
        }
        using (PassOn(p, cancel, signal)) p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary>
    /// Starts <paramref name="exe"/>, its output redirected or not; a null value in <paramref name="environment"/>
    /// removes that variable from the child's environment. Null, with the reason in <paramref name="cannotRun"/>, when
    /// the program cannot be started.
    /// </summary>
    static Process? TryStart(string exe, IEnumerable<string> args, bool redirect, IReadOnlyDictionary<string, string?>? environment,
        string? workingDirectory, out string? cannotRun)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = redirect, RedirectStandardError = redirect, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) { if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v; }
        cannotRun = null;
        try { return Process.Start(psi)!; }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            cannotRun = $"{exe} cannot be run ({e.Message})";
            return null;
        }
    }

    /// <summary>
    /// Sends the child <paramref name="signal"/> (SIGTERM unless said otherwise) when <paramref name="cancel"/> fires —
    /// not Process.Kill (SIGKILL): the child must get the chance to stop at a safe point and clean up.
    /// </summary>
    static CancellationTokenRegistration PassOn(Process p, CancellationToken cancel, Func<int>? signal) => cancel.Register(() =>
    {
        const int SIGTERM = 15;
        try { if (!p.HasExited) Native.Libc.Kill(p.Id, signal?.Invoke() ?? SIGTERM); }
        catch (InvalidOperationException) { }   // it ended meanwhile
    });
}
