namespace Mirage.Study;

/// <summary>
/// A study task run in a process of its own (<see cref="StudyRunner.RunAllInProcesses"/>) ended with a non-zero exit
/// code. The task has already said why on stderr, in its own process; this carries its code on so that the study
/// exits the same way.
/// </summary>
public sealed class TaskProcessFailed(StudyTask task, int exitCode)
    : Exception($"task {task.Name} ended with exit code {exitCode}")
{
    public StudyTask Task { get; } = task;
    public int ExitCode { get; } = exitCode;
}
