using System.CommandLine;
using Mirage.Cli.Display;
using Mirage.Cli.Terminal;
using Mirage.IO;
using Mirage.Native;
using Mirage.Study;
using Mirage.Tasks.Code;
using Mirage.Training;
using Spectre.Console;

namespace Mirage.Cli.Commands;

/// <summary>
/// <c>mirage reproduce dyck|code --out DIR</c>: the whole study (<see cref="StudyRunner"/>) — data, every seed's
/// training, every seed's proxies, then the combined results and the report — each task skipped when done with the same
/// settings, and each run in a process of its own in this terminal (so the study's memory peak is its largest task's).
/// The same tasks one at a time (<c>--task</c>), as N local processes (<c>--jobs N</c>), or as Slurm job arrays
/// (<c>--plan slurm [--submit]</c>). This command only parses, calls the library and prints.
/// </summary>
public static class ReproduceCommand
{
    /// <summary>The options every study shares.</summary>
    sealed class Shared
    {
        public readonly Option<string> Scale;
        public readonly Option<int> Seeds;
        public readonly Option<string> Output;
        public readonly Option<int> Threads = new("--threads")
        { Description = "libtorch threads of every task (recorded in the study; results are bit-identical only at the same count)", DefaultValueFactory = _ => new TrainConfig().Threads };
        public readonly Option<string?> Reference = ReportCommand.ReferenceOption();
        public readonly Option<bool> Quiet = new("--quiet") { Description = "Task lines only, no progress displays or tables" };
        public readonly Option<string?> Task = new("--task") { Description = "Run one task: data, train:S, proxies:S or report (what a cluster node runs); its inputs must be done" };
        public readonly Option<bool> ListTasks = new("--list-tasks") { Description = "List the tasks, what each needs, and which are done" };
        public readonly Option<int> Jobs = new("--jobs") { Description = "Run the tasks as N local processes, each as soon as what it needs is done (e.g. 2: two seeds at once)", DefaultValueFactory = _ => 1 };
        /// <summary>Hidden: this process runs one task for a <c>reproduce</c> parent (which prints headers and passes signals on).</summary>
        public readonly Option<bool> PartOfStudy = new("--part-of-study") { Hidden = true };
        public readonly Option<string?> Plan = new("--plan") { Description = "slurm: write batch scripts (job arrays chained by dependencies) into DIR/slurm/" };
        public readonly Option<bool> Submit = new("--submit") { Description = "With --plan slurm: also submit them with sbatch and print the job ids" };
        public readonly Option<string?> Partition = new("--partition") { Description = "Slurm partition" };
        public readonly Option<string?> Time = new("--time") { Description = "Slurm time limit per task, e.g. 02:00:00" };
        public readonly Option<int?> Cpus = new("--cpus-per-task") { Description = "Slurm CPUs per task (default: --threads)" };
        public readonly Option<string?> Mem = new("--mem") { Description = "Slurm memory per task, e.g. 4G" };
        public readonly Option<string?> Account = new("--account") { Description = "Slurm account" };

        public Shared(string defaultOut, int defaultSeeds, string scales)
        {
            Scale = new("--scale") { Description = scales, DefaultValueFactory = _ => "default" };
            Seeds = new("--seeds") { Description = "Models to train (seeds 0..N-1)", DefaultValueFactory = _ => defaultSeeds };
            Output = new("--out") { Description = "Study directory (new, empty, or an earlier study of this task)", DefaultValueFactory = _ => defaultOut };
        }

        public void AddTo(Command c)
        {
            foreach (Option o in new Option[] { Scale, Seeds, Output, Threads, Reference, Quiet, Task, ListTasks, Jobs, PartOfStudy, Plan, Submit, Partition, Time, Cpus, Mem, Account })
                c.Options.Add(o);
        }
    }

    public static Command Create(CliContext ctx)
    {
        var reproduce = new Command("reproduce", "Run a whole study end to end: data, training, proxies, faithfulness, report.");
        var d = new Shared("study-dyck", 3, "quick (smoke test, minutes), default (the README's study on 2 cores), paper (full size)");
        var dyck = new Command("dyck", "Reproduce the Dyck study (Friedman et al. 2024, Dyck-(20,10) after Murty et al. 2023).");
        d.AddTo(dyck);
        dyck.SetAction(r => Run(ctx, r, d, DyckStudy.For(r.GetValue(d.Scale)!), []));
        reproduce.Subcommands.Add(dyck);

        var c = new Shared("study-code", 1, "quick (smoke test on a small corpus), default (the README's code study on 2 cores)");
        var corpus = new Option<string[]>("--corpus") { Description = "Source directory or .zip (repeat for several; default: Debian 12's Python 3.11 stdlib packages, pinned)", AllowMultipleArgumentsPerToken = false };
        var ood = new Option<string[]>("--ood-corpus") { Description = "Directory or .zip for the java split (default: Debian 12's openjdk-17-source, pinned)", AllowMultipleArgumentsPerToken = false };
        var code = new Command("code", "Reproduce the code-completion study: character-level Python, OOD splits deep_nesting and java.") { corpus, ood };
        c.AddTo(code);
        code.SetAction(r =>
        {
            // Absolute: a task run in another process or on another node must see the same study settings (and hash).
            string[] cs = Absolute(r.GetValue(corpus), "--corpus"), os = Absolute(r.GetValue(ood), "--ood-corpus");
            var extra = cs.SelectMany(x => new[] { "--corpus", x }).Concat(os.SelectMany(x => new[] { "--ood-corpus", x }));
            return Run(ctx, r, c, CodeStudy.For(r.GetValue(c.Scale)!, cs, os), extra.ToList());
        });
        reproduce.Subcommands.Add(code);
        return reproduce;
    }

    static string[] Absolute(string[]? paths, string flag) =>
        (paths ?? []).Select(p => string.IsNullOrWhiteSpace(p) ? throw new UserError($"{flag}: empty path; expected a directory or .zip") : Path.GetFullPath(p)).ToArray();

    static int Run(CliContext ctx, ParseResult r, Shared o, IStudy study, IReadOnlyList<string> extraArgs)
    {
        string dir = r.GetValue(o.Output)!;
        if (string.IsNullOrWhiteSpace(dir)) throw new UserError("--out: empty path; expected a study directory");
        int seeds = r.GetValue(o.Seeds), threads = r.GetValue(o.Threads), jobs = r.GetValue(o.Jobs);
        bool quiet = r.GetValue(o.Quiet), partOfStudy = r.GetValue(o.PartOfStudy);
        if (partOfStudy && ctx.Interruption is { } interruption) interruption.RunByParent = true;
        var stop = ctx.StopOnSignal();
        var display = new StudyDisplay(ctx, quiet, study.Training with { Threads = threads }) { PartOfStudy = partOfStudy };
        var runner = new StudyRunner(study, dir, seeds, threads, r.GetValue(o.Reference), CodeDefaults.OnMachine(ctx.Stderr)) { Observer = display, Cancel = stop };
        var plan = r.GetValue(o.Plan);
        string? taskName = r.GetValue(o.Task);
        if (plan is not null && plan != "slurm") throw new UserError($"--plan {plan}: expected slurm");
        if (r.GetValue(o.Submit) && plan is null) throw new UserError("--submit: needs --plan slurm");
        if (taskName is not null && (plan is not null || jobs != 1)) throw new UserError("--task runs one task here: drop --plan and --jobs");

        if (r.GetValue(o.ListTasks)) return ListTasks(ctx, runner);
        if (taskName is not null)
        {
            // One task (a cluster node, a --jobs child): it locks only its own outputs, so tasks of one study run side by side.
            runner.Run(StudyTask.Parse(taskName, seeds));
            return 0;
        }
        // The command that runs one task of this very study, for child processes and batch scripts.
        var taskCommand = new List<string> { "dotnet", typeof(ReproduceCommand).Assembly.Location, "reproduce", study.Task, "--scale", study.Scale,
            "--seeds", seeds.ToString(), "--out", Path.GetFullPath(dir), "--threads", threads.ToString() };
        if (r.GetValue(o.Reference) is string reference) taskCommand.AddRange(["--reference-split", reference]);
        taskCommand.AddRange(extraArgs);
        if (plan is not null) return Slurm(ctx, r, o, runner, taskCommand);

        using var held = runner.Target.Claim();   // one study writer at a time
        if (jobs == 1) runner.RunAllInProcesses(t => RunTaskHere(ctx, taskCommand, t, quiet, stop));
        else
        {
            ctx.Say($"{runner.Tasks.Count} tasks, at most {jobs} at a time; each one's output in {Path.Combine(dir, LocalJobs.LogDir)}/");
            // Tasks side by side whose threads outnumber the cores sleep at once between parallel regions (TorchRuntime).
            var environment = TorchRuntime.ChildEnvironment(jobs, threads);
            LocalJobs.Run(runner, jobs, t => ChildProcess.Run(taskCommand[0], [.. taskCommand.Skip(1), "--task", t.Name, "--part-of-study", "--quiet"],
                environment: environment, cancel: stop, signal: () => SignalOf(ctx)), ctx.Stdout.WriteLine, stop);
        }
        ctx.Say($"done in {display.Elapsed:mm\\:ss}: open {Path.Combine(runner.Layout.Report, "report.html")}");
        return 0;
    }

    /// <summary>
    /// One task of the study in a process of its own, in this terminal (its progress bars draw here), waited for; a
    /// signal that stops this process is passed on to it. Its exit code is returned.
    /// </summary>
    static int RunTaskHere(CliContext ctx, IReadOnlyList<string> taskCommand, StudyTask task, bool quiet, CancellationToken stop)
    {
        string[] args = [.. taskCommand.Skip(1), "--task", task.Name, "--part-of-study", .. quiet ? ["--quiet"] : Array.Empty<string>()];
        // A test's own writers rather than the terminal: the task's lines are handed on to them.
        bool terminal = ReferenceEquals(ctx.Stdout, Console.Out);
        return ChildProcess.RunAttached(taskCommand[0], args, stop, () => SignalOf(ctx), terminal ? null : ctx.Stdout.WriteLine, terminal ? null : ctx.Stderr.WriteLine);
    }

    /// <summary>The signal that stopped this process, to pass on to its tasks (SIGTERM when none is known).</summary>
    static int SignalOf(CliContext ctx) => ctx.Interruption is { Signal: not null } i ? i.SignalNumber : 15;

    static int ListTasks(CliContext ctx, StudyRunner runner)
    {
        var t = new Table().Title($"Tasks of {runner.Layout.Dir}").AddColumns("task", "needs", "state");
        foreach (var task in runner.Tasks)
            t.AddRow(task.Name, string.Join(", ", runner.Needs(task).Select(n => n.Name)) is { Length: > 0 } n ? n : "–", runner.IsDone(task) ? "done" : "to do");
        ctx.Console.Write(t);
        return 0;
    }

    static int Slurm(CliContext ctx, ParseResult r, Shared o, StudyRunner runner, IReadOnlyList<string> taskCommand)
    {
        var options = new SlurmOptions(r.GetValue(o.Partition), r.GetValue(o.Time), r.GetValue(o.Cpus), r.GetValue(o.Mem), r.GetValue(o.Account));
        if (options.CpusPerTask is < 1) throw new UserError($"--cpus-per-task must be >= 1, found {options.CpusPerTask}");
        foreach (var path in SlurmPlan.Write(runner, options, taskCommand)) ctx.Say($"wrote {path}");
        if (!r.GetValue(o.Submit))
        {
            ctx.Say($"submit with: {Path.Combine(runner.Layout.Dir, SlurmPlan.DirName)} (or rerun with --submit)");
            return 0;
        }
        foreach (var (stage, id) in SlurmPlan.Submit(runner)) ctx.Say($"submitted {stage}: job {id}");
        return 0;
    }
}
