using System.Diagnostics;

namespace Mirage.Tests;

/// <summary>
/// Runs the real <c>mirage</c> program (the built Mirage.Cli.dll next to the tests) as a separate process. Determinism
/// must hold across processes — .NET randomises hash seeds per process — so those tests go through here, not through
/// the in-process <see cref="CliRunner"/>.
/// </summary>
public static class CliProcess
{
    static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Mirage.Cli.dll");

    public static ProcessStartInfo StartInfo(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Runs to completion (or fails the test after <paramref name="timeoutSeconds"/>).</summary>
    public static (int Code, string Stdout, string Stderr) Run(string workDir, string[] args, int timeoutSeconds = 300) =>
        Run(StartInfo(workDir, args), timeoutSeconds);

    /// <summary>Runs a start info from <see cref="StartInfo"/> that the caller changed (e.g. its environment).</summary>
    public static (int Code, string Stdout, string Stderr) Run(ProcessStartInfo psi, int timeoutSeconds = 300)
    {
        var args = psi.ArgumentList.Skip(1);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"mirage {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static (int Code, string Stdout, string Stderr) Run(string workDir, params string[] args) => Run(workDir, args, 300);
}
