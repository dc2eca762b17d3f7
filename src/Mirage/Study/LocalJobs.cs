using Mirage.IO;

namespace Mirage.Study;

/// <summary>
/// Runs a study's unfinished tasks as separate processes on this machine, at most N at a time, each as soon as the
/// tasks it needs have finished (e.g. two seeds' training at once). Every task writes its own files and its own ledger
/// entry, so processes never share a file; each one's output goes to DIR/logs/TASK.log. A stop (the caller's
/// <c>runTask</c> passes its signal on to the running tasks) starts nothing more and waits for the running tasks to
/// stop. No scheduler of its own beyond this: on a cluster, Slurm does the same job (<see cref="SlurmPlan"/>).
/// </summary>
public static class LocalJobs
{
    public const string LogDir = "logs";

    /// <param name="runTask">Runs one task to its end in another process (the CLI: <c>mirage reproduce ... --task NAME</c>).</param>
    /// <param name="note">Receives a line when a task starts or ends.</param>
    public static void Run(StudyRunner runner, int jobs, Func<StudyTask, ChildResult> runTask, Action<string>? note = null, CancellationToken cancel = default)
    {
        if (jobs < 1) throw new UserError($"--jobs must be >= 1, found {jobs}");
        runner.Prepare();
        var logs = Path.Combine(runner.Layout.Dir, LogDir);
        Directory.CreateDirectory(logs);
        var finished = runner.Tasks.Where(runner.IsDone).Select(t => t.Name).ToHashSet();
        var waiting = runner.Tasks.Where(t => !finished.Contains(t.Name)).ToList();
        var running = new Dictionary<Task<ChildResult>, StudyTask>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? failure = null;
        while (waiting.Count > 0 || running.Count > 0)
        {
            // Start every task whose needs are finished, in study order, while slots are free and nothing failed.
            foreach (var task in waiting.ToList())
            {
                if (running.Count >= jobs || failure is not null || cancel.IsCancellationRequested) break;
                if (!runner.Needs(task).All(n => finished.Contains(n.Name))) continue;
                waiting.Remove(task);
                note?.Invoke($"{task.Name}: started  ({clock.Elapsed:mm\\:ss})");
                running[Task.Run(() => runTask(task))] = task;
            }
            if (running.Count == 0) break;   // a failure (or a stop) left tasks that can never start
            var done = Task.WhenAny(running.Keys).GetAwaiter().GetResult();
            var t = running[done];
            running.Remove(done);
            var r = done.GetAwaiter().GetResult();
            var log = Path.Combine(logs, t.Name.Replace(':', '-') + ".log");
            AtomicFile.WriteAllText(log, r.Output + r.Error);
            if (r.Ok)
            {
                finished.Add(t.Name);
                note?.Invoke($"{t.Name}: done  ({clock.Elapsed:mm\\:ss}){(runner.Usage(t) is TaskUsage u ? $": {u.Describe()}" : "")}");
            }
            else if (cancel.IsCancellationRequested)
                note?.Invoke($"{t.Name}: stopped (exit {r.ExitCode})");   // the signal that stopped us, passed on to it
            else
            {
                var last = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? $"exit {r.ExitCode}";
                failure ??= $"task {t.Name} failed (exit {r.ExitCode}): {last.Trim()} — its output is in {log}";
                note?.Invoke($"{t.Name}: failed (exit {r.ExitCode})");
            }
        }
        cancel.ThrowIfCancellationRequested();
        if (failure is not null) throw new UserError(failure);
    }
}
