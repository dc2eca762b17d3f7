using Mirage.IO;

namespace Mirage.Study;

/// <summary>
/// DIR/stages/: for each finished task, one file (<c>train-0.json</c>) holding the hash of everything it was computed
/// from, and the wall time and peak resident memory it took, the host, CPU and process that ran it and how its OpenMP
/// threads waited (not hashed: they differ from run to run; the CPU and the waiting because times taken with others do
/// not compare). A task whose recorded hash equals the current one is done; any other runs (again). Each task writes
/// only its own file, by rename, and only after its outputs are in place: tasks finishing at once on several nodes of
/// a cluster never rewrite a shared file, and an interrupted task simply runs again.
/// </summary>
public sealed class StageLedger(string studyDir)
{
    public const string DirName = "stages";
    /// <summary>The single-file ledger of studies written before tasks had their own files (recognised, never written).</summary>
    public const string FileName = "stages.json";

    readonly string _dir = Path.Combine(studyDir, DirName);

    string PathOf(string task) => Path.Combine(_dir, task.Replace(':', '-') + ".json");

    /// <param name="Host">The machine that ran the task, and <paramref name="Pid"/> its process (on a cluster: which node).</param>
    /// <param name="Cpu">That machine's processor (<see cref="Native.CpuInfo"/>), which its time depends on.</param>
    /// <param name="OpenmpWait">How the task's OpenMP threads waited (<see cref="Native.TorchRuntime.WaitPolicy"/>), which its time also depends on;
    /// null for a task that ran no libtorch (data, report).</param>
    sealed record Entry(string Task, string Hash, double? Seconds = null, long? PeakRssBytes = null, string? Host = null, int? Pid = null, string? Cpu = null,
        string? OpenmpWait = null);

    /// <summary>The task's entry, or null when it has none.</summary>
    Entry? Read(string task)
    {
        var path = PathOf(task);
        return File.Exists(path) ? Json.Load<Entry>(path, "stage ledger entry") : null;
    }

    public bool IsDone(string task, string hash) => Read(task)?.Hash == hash;

    /// <param name="usage">What the task took (kept for sizing cluster jobs: Slurm's <c>--time</c> and <c>--mem</c>).</param>
    public void MarkDone(string task, string hash, TaskUsage? usage = null) =>
        Json.Save(PathOf(task), new Entry(task, hash, usage?.Seconds, usage?.PeakRssBytes, Environment.MachineName, Environment.ProcessId,
            Native.CpuInfo.Read()?.ToString(), Native.TorchRuntime.Initialized ? Native.TorchRuntime.WaitPolicy : null));

    /// <summary>What a finished task took, as its entry records it (null when not recorded: a study of an older Mirage).</summary>
    public TaskUsage? Usage(string task) => Read(task) is { Seconds: double s } e ? new TaskUsage(s, e.PeakRssBytes) : null;

    /// <summary>A task's hash: sha256 of its inputs serialised as JSON.</summary>
    public static string Hash(params object?[] inputs) => Sha256.OfText(string.Join("\n", inputs.Select(i => i is string s ? s : Json.Serialize(i))));
}

/// <summary>A task's wall time and peak resident memory (null where it cannot be read: no /proc).</summary>
public sealed record TaskUsage(double Seconds, long? PeakRssBytes)
{
    /// <summary>"6:41, peak resident memory 1.57 GB" (minutes:seconds; decimal GB).</summary>
    public string Describe() =>
        $"{(long)Math.Round(Seconds) / 60}:{(long)Math.Round(Seconds) % 60:00}" + (PeakRssBytes is long b ? $", peak resident memory {b / 1e9:0.00} GB" : "");
}
