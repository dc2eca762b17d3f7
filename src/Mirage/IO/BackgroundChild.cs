using System.Diagnostics;

namespace Mirage.IO;

/// <summary>A program started by <see cref="ChildProcess.Start"/>; disposing it kills it (and its children) and waits for it.</summary>
public sealed class BackgroundChild : IDisposable
{
    readonly Process _p;
    bool _done;

    internal BackgroundChild(Process p) => _p = p;

    public int Id => _p.Id;

    /// <summary>False once it has ended on its own (or been disposed).</summary>
    public bool Running => !_done && !_p.HasExited;

    /// <summary>CPU time it has used so far (user + system), in seconds; 0 once it has ended.</summary>
    public double CpuSeconds
    {
        get
        {
            try { _p.Refresh(); return _p.TotalProcessorTime.TotalSeconds; }
            catch (InvalidOperationException) { return 0; }   // already exited
        }
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        try { if (!_p.HasExited) _p.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // ended between the check and the kill
        _p.WaitForExit();
        _p.Dispose();
    }
}
