using Mirage.Faithfulness;
using Mirage.IO;
using Mirage.Statistics;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;
using Mirage.Training;

namespace Mirage.Study;

/// <summary>
/// A whole study as a library (docs/architecture.md): data → training of every seed → every proxy on every head, one
/// seed at a time → the seeds' results combined → report. Each step is a <see cref="StudyTask"/> that reads its inputs
/// from the study directory and writes its outputs there, and records its completion in the <see cref="StageLedger"/>:
/// any task can run in another process or on another node that sees the directory, a finished task is never redone,
/// and running every task in order (<see cref="RunAll"/>) is the whole study. A notebook can call the tasks one by one.
/// </summary>
public sealed class StudyRunner
{
    readonly IStudy _study;
    readonly TrainConfig _training;
    readonly SimplifyConfig _simplify;
    readonly StageLedger _ledger;
    // The code task's corpora, resolved (the pinned packages fetched when not cached) and fingerprinted once, on first
    // use: their identity joins the data task's hash, and the same resolution builds the data.
    readonly Lazy<CodeCorpora?> _corpora;
    readonly Lazy<object?> _corporaKey;

    public StudyLayout Layout { get; }
    public int Seeds { get; }
    public int Threads { get; }
    /// <summary>The reference split the report leads with (<c>--reference-split</c>); null = the in-distribution one.</summary>
    public string? ReferenceSplit { get; }
    public IStudyObserver Observer { get; init; } = new SilentObserver();
    public CancellationToken Cancel { get; init; }

    /// <param name="threads">libtorch threads of every task, recorded in every run and result (results are bit-identical only at equal thread counts).</param>
    /// <param name="codeDefaults">Finds the default corpora of the code task (the machine's, unless a test gives its own).</param>
    public StudyRunner(IStudy study, string dir, int seeds, int threads, string? referenceSplit = null, CodeDefaults? codeDefaults = null)
    {
        if (seeds < 1) throw new UserError($"--seeds must be >= 1, found {seeds}");
        if (threads < 1) throw new UserError($"--threads must be >= 1, found {threads}");
        _study = study;
        Layout = new StudyLayout(dir);
        Seeds = seeds;
        Threads = threads;
        ReferenceSplit = referenceSplit;
        _training = study.Training with { Threads = threads };
        _simplify = study.Simplify with { Threads = threads };
        _ledger = new StageLedger(dir);
        _corpora = new(() => ResolveCorpora(codeDefaults ?? CodeDefaults.Machine));
        _corporaKey = new(() => _corpora.Value is { } c ? CodeStudy.DataKey(c) : null);
    }

    sealed class SilentObserver : IStudyObserver;

    CodeCorpora? ResolveCorpora(CodeDefaults defaults)
    {
        if (_study.DataConfig is not CodeConfig cc) return null;
        var corpora = defaults.Resolve(cc);
        // Warned where the corpora are first resolved: the data task itself may be skipped as done.
        foreach (var w in corpora.Warnings) Observer.Warning($"warning: {w}");
        return corpora;
    }

    /// <summary>Every task, in an order that respects their dependencies.</summary>
    public IReadOnlyList<StudyTask> Tasks =>
    [
        new(StudyTask.Data),
        .. Enumerable.Range(0, Seeds).Select(s => new StudyTask(StudyTask.Train, s)),
        .. Enumerable.Range(0, Seeds).Select(s => new StudyTask(StudyTask.Proxies, s)),
        new(StudyTask.Report),
    ];

    /// <summary>The tasks whose outputs <paramref name="task"/> reads.</summary>
    public IReadOnlyList<StudyTask> Needs(StudyTask task) => task.Stage switch
    {
        StudyTask.Train => [new(StudyTask.Data)],
        StudyTask.Proxies => [new(StudyTask.Train, task.Seed)],
        StudyTask.Report => Enumerable.Range(0, Seeds).Select(s => new StudyTask(StudyTask.Proxies, s)).ToList(),
        _ => [],
    };

    IEnumerable<string> Corpora => _study.DataConfig is CodeConfig cc ? cc.Corpus.Concat(cc.OodCorpus) : [];

    /// <summary>The study directory: nothing but an earlier study of this task, never inside one of its corpora.</summary>
    public OutputDirectory Target => OutputDirectory.Check(Layout.Dir, "--out", StudyManifest.Kind(_study.Task), Corpora);

    /// <summary>Checks the study directory and creates it with its manifest (the first task does; the others find it).</summary>
    public void Prepare()
    {
        _ = Target;
        Directory.CreateDirectory(Layout.Dir);
        StudyManifest.Ensure(Layout.Dir, _study.Task);
    }

    /// <summary>True when the task's recorded inputs are the current ones and its outputs are in place.</summary>
    public bool IsDone(StudyTask task) => Hash(task) is string h && _ledger.IsDone(task.Name, h) && OutputsExist(task);

    bool OutputsExist(StudyTask t) => t.Stage switch
    {
        StudyTask.Data => File.Exists(Path.Combine(Layout.Data, OutputManifest.File)),
        StudyTask.Train => Checkpoint.Exists(Layout.Run(t.Seed!.Value)),
        StudyTask.Proxies => File.Exists(Path.Combine(Layout.Proxies(t.Seed!.Value), ResultsWriter.Faithfulness)),
        _ => File.Exists(Path.Combine(Layout.Report, "report.html")),
    };

    static readonly string CodeVersion = typeof(StudyRunner).Assembly.ManifestModule.ModuleVersionId.ToString();

    /// <summary>The hash of everything a task is computed from; null while an input it needs is missing.</summary>
    string? Hash(StudyTask t)
    {
        if (t.Stage == StudyTask.Data)
            // Without corpora (Dyck) the inputs are those of before corpus keys existed, so finished studies stay done.
            return _corporaKey.Value is { } key ? StageLedger.Hash("data", _study.Task, _study.DataConfig, key)
                                                : StageLedger.Hash("data", _study.Task, _study.DataConfig);
        var manifest = Path.Combine(Layout.Data, OutputManifest.File);
        if (!File.Exists(manifest)) return null;
        var dataSha = Sha256.OfFile(manifest);
        switch (t.Stage)
        {
            case StudyTask.Train:
                return StageLedger.Hash("train", _study.Model, _training with { Seed = t.Seed!.Value }, dataSha);
            case StudyTask.Proxies:
                var run = Layout.Run(t.Seed!.Value);
                if (!Checkpoint.Exists(run)) return null;
                // The weights themselves (a retrained model that stops at the same step is another model) and the code
                // (a rebuilt Mirage measures anew; the build is deterministic, so an unchanged one does not).
                var weights = Sha256.OfFile(Path.Combine(Checkpoint.Dir(run), Checkpoint.ModelFile));
                return StageLedger.Hash("proxies", _simplify, weights, dataSha, t.Seed == 0, CodeVersion);
            default:
                var parts = Needs(t).Select(Hash).ToList();
                if (parts.Any(p => p is null)) return null;
                return StageLedger.Hash("report", parts, ReferenceSplit ?? "", CodeVersion);
        }
    }

    /// <summary>A line describing what the task does, for a progress header.</summary>
    public string Describe(StudyTask t) => t.Stage switch
    {
        StudyTask.Data => $"data: {_study.DataSummary}",
        StudyTask.Train => $"seed {t.Seed}: {_study.Model.Layers} layers, {_study.Model.Heads} head(s), d_model {_study.Model.DModel}, up to {_training.Steps} steps, {Threads} thread(s)",
        StudyTask.Proxies => $"seed {t.Seed}: proxies {string.Join(", ", _simplify.Proxies)} on every head, fitted on {_simplify.FitN} {_simplify.FitSplit} sequences"
                             + (_simplify.Oracle ? ", with the oracle control" : ""),
        _ => $"combine {Seeds} seed(s), statistics and report",
    };

    /// <summary>Every task in order; each skipped when done (the whole study, in one process).</summary>
    public void RunAll()
    {
        Prepare();
        var tasks = Tasks;
        for (int i = 0; i < tasks.Count; i++)
        {
            Run(tasks[i], i + 1, tasks.Count);
            // One process runs every task here: without this, each task's freed memory stays with the process (the
            // GC's heap, and glibc's, which TorchRuntime tells not to trim), and the study's peak becomes the sum of the
            // tasks' peaks rather than the largest: 3.6 GB instead of under 2 GB for the default Dyck study.
            Native.TorchRuntime.ReleaseFreedMemory();
        }
    }

    /// <summary>
    /// Every task in order, each in a process of its own that <paramref name="runTask"/> starts and waits for (the CLI:
    /// <c>mirage reproduce ... --task NAME</c>), returning its exit code; each skipped when done. What a task leaves in
    /// the heap dies with its process, so the study's peak memory is the largest task's rather than what the tasks add
    /// up to in one process (docs/performance.md: 1.66–1.88 GB for the default Dyck study, against 1.64–2.26 GB in one
    /// process).
    /// A task that fails stops the study with a <see cref="TaskProcessFailed"/> carrying its exit code.
    /// </summary>
    public void RunAllInProcesses(Func<StudyTask, int> runTask)
    {
        Prepare();
        var tasks = Tasks;
        for (int i = 0; i < tasks.Count; i++)
        {
            Cancel.ThrowIfCancellationRequested();
            bool done = IsDone(tasks[i]);
            Observer.Starting(tasks[i], i + 1, tasks.Count, Describe(tasks[i]), done);
            if (done) continue;
            // This process only waits now: what it read for the task hashes (a code study's corpora) goes back first.
            Native.TorchRuntime.ReleaseFreedMemory();
            int code = runTask(tasks[i]);
            Cancel.ThrowIfCancellationRequested();   // stopped by our own signal: the study was interrupted, not the task
            if (code != 0) throw new TaskProcessFailed(tasks[i], code);
            if (!IsDone(tasks[i])) throw new InvalidOperationException($"task {tasks[i].Name} ended with exit code 0 but did not record itself as done");
        }
    }

    /// <summary>
    /// Runs one task (skipped when done). Its inputs must be in place: a task whose dependency is not done is refused
    /// with the task to run first — on a cluster, the scheduler's dependencies take care of that order.
    /// </summary>
    public void Run(StudyTask task, int index = 1, int count = 1)
    {
        Cancel.ThrowIfCancellationRequested();
        if (task.Stage == StudyTask.Data) Prepare();
        else if (!File.Exists(Path.Combine(Layout.Dir, OutputManifest.File)))
            throw new UserError($"{Layout.Dir}: no study here yet; run the data task first (--task data)");
        foreach (var need in Needs(task))
            if (!IsDone(need)) throw new UserError($"task {task.Name} needs {need.Name}, which is not done with these settings; run --task {need.Name} first");
        bool done = IsDone(task);
        Observer.Starting(task, index, count, Describe(task), done);
        if (done) return;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var peak = new Native.PeakWatch();
        switch (task.Stage)
        {
            case StudyTask.Data: RunData(); break;
            case StudyTask.Train: RunTraining(task.Seed!.Value); break;
            case StudyTask.Proxies: RunProxies(task.Seed!.Value); break;
            default: RunReport(); break;
        }
        Cancel.ThrowIfCancellationRequested();
        var usage = new TaskUsage(clock.Elapsed.TotalSeconds, peak.PeakBytes);
        _ledger.MarkDone(task.Name, Hash(task)!, usage);
        Observer.Finished(task, usage);
    }

    /// <summary>What a finished task took, from its ledger entry (null when not recorded).</summary>
    public TaskUsage? Usage(StudyTask task) => _ledger.Usage(task.Name);

    void RunData()
    {
        var data = Layout.Data;
        // Only what `mirage data` made is replaced; anything else under that name is the user's.
        if (Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any())
        {
            if (!TaskDataLoader.Kind.IsEarlierOutput(data))
                throw new UserError($"{data}: is not a data directory written by `mirage data`; Mirage replaces nothing it did not make: move it away");
            if (OutputKind.Foreign(data, TaskDataLoader.DataEntries(data)) is { Count: > 0 } foreign)
                throw new UserError($"{data}: must be rebuilt with new settings but also holds {string.Join(", ", foreign.Take(3))}, which `mirage data` did not write: move it out first");
            using (DirectoryLock.Acquire(data, StudyManifest.Command, data)) Directory.Delete(data, true);
        }
        var outcome = _study.DataConfig switch
        {
            DyckConfig dc => DataStage.Dyck(data, dc, [], Observer.Note),
            CodeConfig => DataStage.Code(data, _corpora.Value!, [], Observer.Note),
            var other => throw new InvalidOperationException($"no data step for {other.GetType().Name}"),
        };
        Observer.DataReady(outcome);
    }

    void RunTraining(int seed)
    {
        var run = Layout.Run(seed);
        var td = TaskDataLoader.Load(Layout.Data);
        var training = _training with { Seed = seed };
        if (Checkpoint.Exists(run) && !SameRun(run, training))
        {
            // Settings changed: start over, deleting only a run directory that holds nothing but what train writes.
            if (OutputKind.Foreign(run, Checkpoint.IsRunEntry) is { Count: > 0 } foreign)
                throw new UserError($"{run}: must be retrained with new settings but also holds {string.Join(", ", foreign.Take(3))}, which `mirage train` did not write: move it out first");
            using (DirectoryLock.Acquire(run, StudyManifest.Command, run)) Directory.Delete(run, true);
        }
        var result = TrainingStage.Run(td, _study.Model, training, run, Cancel, wrap: train => Observer.Training(seed, train));
        if (result.StopReason == "interrupted") throw new OperationCanceledException(Cancel);
    }

    bool SameRun(string run, TrainConfig training)
    {
        var info = Checkpoint.LoadInfo(run);
        return info.Model == _study.Model with { VocabSize = info.Model.VocabSize } && info.Training == training;
    }

    void RunProxies(int seed)
    {
        var td = TaskDataLoader.Load(Layout.Data);
        Observer.Proxies(seed, progress => new ProxyStage(td, _simplify)
        {
            // Named from the study directory, like the combined results: "runs/seed0", "data".
            PathLabel = p => StudyPaths.Relative(Layout.Results, p),
            CollectReportMaterial = seed == 0,
            Progress = progress,
            Cancel = Cancel,
        }.RunInto(Layout.Proxies(seed), [Layout.Run(seed)], [Layout.Data]));
    }

    void RunReport()
    {
        var parts = Enumerable.Range(0, Seeds).Select(s => ResultsReader.Read(Layout.Proxies(s))).ToList();
        var combined = ResultsCombiner.Combine(parts);
        var target = OutputDirectory.Check(Layout.Results, "--out", ResultsWriter.Kind, Enumerable.Range(0, Seeds).Select(Layout.Proxies));
        using (target.Claim()) ResultsWriter.Write(Layout.Results, combined);
        Cancel.ThrowIfCancellationRequested();
        ReportStage.Run(Layout.Results, Layout.Report, StudyStatistics.DefaultResamples, ReferenceSplit);
    }
}
