using System.Runtime.InteropServices;

namespace Mirage.Cli.Terminal;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM while a command that can stop cleanly runs (train, simplify, reproduce): the first
/// signal cancels <see cref="Token"/>, the command stops at its next safe point (train checkpoints; simplify and
/// reproduce drop their staging directories), and the CLI exits 130 (SIGINT) or 143 (SIGTERM). A second signal, or a
/// signal while no such command runs, gets the default action: the process ends at once, and what it was building is
/// left in temporary names that the next run of the command removes.
/// </summary>
public sealed class Interruption : IDisposable
{
    readonly CancellationTokenSource _cts = new();
    readonly List<PosixSignalRegistration> _registrations = new();
    int _armed;
    long _firstSignalTicks;

    public CancellationToken Token => _cts.Token;

    /// <summary>The signal that cancelled <see cref="Token"/>, if any.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>The Linux number of that signal (2 SIGINT, 15 SIGTERM), as kill(2) takes it: what a study passes on to its tasks.</summary>
    public int SignalNumber => Signal == PosixSignal.SIGTERM ? 15 : 2;

    /// <summary>128 + the signal number, as shells report it: 130 for SIGINT, 143 for SIGTERM.</summary>
    public int ExitCode => 128 + SignalNumber;

    public string SignalName => Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";

    /// <summary>Handles SIGINT and SIGTERM until disposed; until <see cref="Arm"/> they keep their default action.</summary>
    public Interruption()
    {
        foreach (var s in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(s, OnSignal));
    }

    /// <summary>
    /// Set in a task that a <c>reproduce</c> parent runs in its own process. The parent passes its signals on, so a
    /// signal sent to the whole process group (Ctrl-C, Slurm's scancel) arrives twice within moments: a repeat within
    /// <see cref="RepeatWindow"/> is the same request, not a second one that ends the process at once. And the parent
    /// says once that the study was interrupted, so the task does not.
    /// </summary>
    public bool RunByParent { get; set; }

    static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(2);

    /// <summary>Called by a command that checks <see cref="Token"/>: from now on a signal stops it cleanly.</summary>
    public void Arm() => Interlocked.Exchange(ref _armed, 1);

    void OnSignal(PosixSignalContext context)
    {
        if (Volatile.Read(ref _armed) == 0) return;   // default action: terminate now
        if (_cts.IsCancellationRequested)
        {
            if (RunByParent && System.Diagnostics.Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstSignalTicks)) < RepeatWindow) context.Cancel = true;
            return;   // otherwise a second request: the default action, terminate now
        }
        context.Cancel = true;
        Interlocked.Exchange(ref _firstSignalTicks, System.Diagnostics.Stopwatch.GetTimestamp());
        Signal = context.Signal;
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
