using Mirage.IO;

namespace Mirage.Benchmarks;

/// <summary>
/// A competing CPU-bound process, as another user's job on a shared machine would be: one single-threaded busy loop in
/// a separate process (a thread of our own would share our process's scheduling and allocator, which is not the
/// situation being tested). It uses one core's worth of CPU wherever the kernel puts it.
/// </summary>
public static class CompetingLoad
{
    /// <summary>Starts the loop; dispose the result to stop it.</summary>
    public static BackgroundChild Start()
    {
        // Shell builtins only (kill, [ and arithmetic in dash): no fork per iteration, so it is pure CPU. Every
        // 100,000 iterations it checks that this process is still alive, so a benchmark killed with SIGKILL, which
        // runs no clean-up, does not leave it spinning on a shared machine.
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; done";
        return ChildProcess.Start("/bin/sh", ["-c", script]);
    }
}
