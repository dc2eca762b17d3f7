using System.Text.RegularExpressions;

namespace Mirage.Tests;

/// <summary>A study as tasks: listing them, running one with its inputs in place or refused without, and Slurm scripts.</summary>
public class StudyTasksTests : TempDirectoryTests
{
    string[] Study(params string[] more) => ["reproduce", "dyck", "--scale", "quick", "--seeds", "2", "--out", Path.Combine(Dir, "s"), "--quiet", .. more];

    [Fact]
    public void A_task_runs_only_once_its_inputs_are_done_and_the_list_says_which_are()
    {
        var (code, _, stderr) = CliRunner.Run(Study("--task", "train:0"));
        Assert.Equal(2, code);
        Assert.Contains("run the data task first", stderr);

        (code, _, stderr) = CliRunner.Run(Study("--task", "data"));
        Assert.True(code == 0, stderr);
        (code, _, stderr) = CliRunner.Run(Study("--task", "proxies:1"));
        Assert.Equal(2, code);
        Assert.Contains("needs train:1", stderr);
        Assert.Contains("--task train:1", stderr);
        Assert.Equal(2, CliRunner.Run(Study("--task", "train:2")).Code);     // seeds 0 and 1 only
        Assert.Equal(2, CliRunner.Run(Study("--task", "evaluate")).Code);

        var (_, list, _) = CliRunner.Run(Study("--list-tasks"));
        Assert.Matches(new Regex(@"data\s*│\s*–\s*│\s*done"), list);
        Assert.Matches(new Regex(@"proxies:1\s*│\s*train:1\s*│\s*to do"), list);
        Assert.Matches(new Regex(@"report\s*│\s*proxies:0, proxies:1\s*│\s*to do"), list);
        // Each task records its own completion: no file shared by tasks that may finish at once.
        Assert.True(File.Exists(Path.Combine(Dir, "s", "stages", "data.json")));
    }

    [Fact]
    public void A_slurm_plan_is_one_script_per_stage_with_arrays_over_the_seeds()
    {
        var (code, stdout, stderr) = CliRunner.Run(Study("--plan", "slurm", "--partition", "gpu", "--time", "01:00:00", "--mem", "4G", "--account", "lab"));
        Assert.True(code == 0, stderr);
        var dir = Path.Combine(Dir, "s", "slurm");
        foreach (var stage in new[] { "data", "train", "proxies", "report" }) Assert.Contains($"wrote {Path.Combine(dir, stage + ".sbatch")}", stdout);
        var train = File.ReadAllText(Path.Combine(dir, "train.sbatch"));
        Assert.Contains("#SBATCH --array=0-1", train);
        Assert.Contains("#SBATCH --cpus-per-task=2", train);      // the study's thread count
        Assert.Contains("#SBATCH --partition=gpu", train);
        Assert.Contains("#SBATCH --time=01:00:00", train);
        Assert.Contains("#SBATCH --mem=4G", train);
        Assert.Contains("#SBATCH --account=lab", train);
        Assert.Contains("--task \"train:${SLURM_ARRAY_TASK_ID}\"", train);
        Assert.Contains($"--out {Path.Combine(Dir, "s")} ", train);   // absolute, so any node finds it
        var report = File.ReadAllText(Path.Combine(dir, "report.sbatch"));
        Assert.DoesNotContain("--array", report);
        Assert.Contains("--task \"report\"", report);
        Assert.Equal(2, CliRunner.Run(Study("--plan", "pbs")).Code);
        Assert.Equal(2, CliRunner.Run(Study("--submit")).Code);                      // needs --plan slurm
        Assert.Equal(2, CliRunner.Run(Study("--task", "data", "--jobs", "2")).Code);
    }
}
