using System.Text;
using Mirage.IO;

namespace Mirage.Study;

/// <summary>
/// A study as Slurm batch scripts in DIR/slurm/: one script per stage — data, an array over the seeds for training,
/// an array for the proxies, report — each array element running one <see cref="StudyTask"/> of the study in the same
/// directory (which the nodes must share). Submitted in order with dependencies: training after the data
/// (<c>afterok</c>), each seed's proxies after that seed's training (<c>aftercorr</c>), the report after every seed's
/// proxies. A resubmission runs only what is not done: a finished task returns at once. Slurm schedules, retries and
/// reports; Mirage only writes the scripts.
/// </summary>
public static class SlurmPlan
{
    public const string DirName = "slurm";

    /// <summary>The stages in submission order, with their array size (null: a single job).</summary>
    static IEnumerable<(string Stage, int? Array)> Stages(StudyRunner r) =>
        [(StudyTask.Data, null), (StudyTask.Train, r.Seeds), (StudyTask.Proxies, r.Seeds), (StudyTask.Report, null)];

    /// <summary>
    /// Writes the scripts; <paramref name="taskCommand"/> is the command that runs one task, without its name
    /// (e.g. <c>dotnet /path/Mirage.Cli.dll reproduce dyck --scale paper --out /abs/DIR --threads 2</c>).
    /// </summary>
    public static IReadOnlyList<string> Write(StudyRunner runner, SlurmOptions o, IReadOnlyList<string> taskCommand)
    {
        runner.Prepare();
        var dir = Path.Combine(runner.Layout.Dir, DirName);
        var logs = Path.Combine(dir, "logs");
        Directory.CreateDirectory(logs);
        var study = new DirectoryInfo(runner.Layout.Dir).Name;
        var written = new List<string>();
        foreach (var (stage, array) in Stages(runner))
        {
            var sb = new StringBuilder("#!/bin/bash\n");
            sb.Append($"# mirage: the {stage} task{(array is null ? "" : "s (one array element per seed)")} of the study in {runner.Layout.Dir}\n");
            sb.Append($"#SBATCH --job-name=mirage-{Safe(study)}-{stage}\n");
            if (array is int n) sb.Append($"#SBATCH --array=0-{n - 1}\n");
            sb.Append($"#SBATCH --output={logs}/{stage}{(array is null ? "-%j" : "-%a-%A")}.out\n");
            sb.Append($"#SBATCH --cpus-per-task={o.CpusPerTask ?? runner.Threads}\n");
            if (o.Partition is string p) sb.Append($"#SBATCH --partition={p}\n");
            if (o.Time is string t) sb.Append($"#SBATCH --time={t}\n");
            if (o.Mem is string m) sb.Append($"#SBATCH --mem={m}\n");
            if (o.Account is string a) sb.Append($"#SBATCH --account={a}\n");
            sb.Append("set -euo pipefail\n");
            string task = array is null ? stage : $"{stage}:${{SLURM_ARRAY_TASK_ID}}";
            sb.Append("exec ").Append(string.Join(' ', taskCommand.Select(Quote))).Append($" --task \"{task}\" --quiet\n");
            var path = Path.Combine(dir, stage + ".sbatch");
            AtomicFile.WriteAllText(path, sb.ToString());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            written.Add(path);
        }
        return written;
    }

    /// <summary>Submits the scripts with <c>sbatch --parsable</c>, chained by dependencies; returns each stage's job id.</summary>
    public static IReadOnlyList<(string Stage, string JobId)> Submit(StudyRunner runner)
    {
        var dir = Path.Combine(runner.Layout.Dir, DirName);
        var ids = new List<(string, string)>();
        string? previous = null;
        foreach (var (stage, _) in Stages(runner))
        {
            var args = new List<string> { "--parsable" };
            // A failed task cancels the tasks that need it (instead of leaving them pending forever on clusters that do
            // not set kill_invalid_depend): resubmitting the study then reruns only what did not finish.
            if (previous is not null) args.AddRange([$"--dependency={(stage == StudyTask.Proxies ? "aftercorr" : "afterok")}:{previous}", "--kill-on-invalid-dep=yes"]);
            args.Add(Path.Combine(dir, stage + ".sbatch"));
            var r = ChildProcess.Run("sbatch", args, timeout: TimeSpan.FromMinutes(2));
            if (!r.Ok) throw new UserError($"sbatch {Path.Combine(dir, stage + ".sbatch")} failed: {(r.Error + r.Output).Trim().Split('\n')[^1]}");
            previous = r.Output.Trim().Split(';')[0];   // --parsable prints "jobid" or "jobid;cluster"
            ids.Add((stage, previous));
        }
        return ids;
    }

    static string Safe(string name) => new(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    /// <summary>A word for bash: single-quoted unless it is plainly safe.</summary>
    static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "/._-=+:,".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
