using Mirage.IO;
using Mirage.Model;
using Mirage.Tasks;
using TorchSharp;

namespace Mirage.Training;

/// <summary>
/// What <c>RUN/checkpoint/checkpoint.json</c> records beside the weights: everything needed to rebuild the model,
/// check it against data, and resume training exactly. The data order is a pure function of (seed, step) (see
/// <see cref="BatchOrder"/>) and nothing random happens after initialisation, so the step is the whole RNG state.
/// </summary>
public sealed record CheckpointInfo
{
    public int FormatVersion { get; init; } = 1;
    public required string Task { get; init; }
    public required ModelConfig Model { get; init; }
    public required IReadOnlyList<string> Vocabulary { get; init; }
    public required TrainConfig Training { get; init; }
    public required long Step { get; init; }
    public required long OptimizerStep { get; init; }
    public required string DataManifestSha256 { get; init; }
    /// <summary>The data directory, relative to the directory holding the run (see <see cref="IO.StudyPaths"/>).</summary>
    public required string DataDirectory { get; init; }
    /// <summary>Null while training; "target_accuracy" or "step_budget" once it stopped.</summary>
    public string? StopReason { get; init; }
    /// <summary>The last accuracy on <see cref="ValidationSplit"/>, the split training stops on.</summary>
    public double? ValAccuracy { get; init; }
    /// <summary>Accuracy on the whole iid split once training stopped (null while training).</summary>
    public double? IidAccuracy { get; init; }
    /// <summary>The split accuracy was measured on during training: <c>validation</c>, or <c>iid</c> for data without one.</summary>
    public string? ValidationSplit { get; init; }
    public string RngState { get; init; } = "data order = f(seed, step); no other randomness after init";
}

/// <summary>
/// A run directory's checkpoint: <c>RUN/checkpoint/</c> holding <c>model.safetensors</c> (TransformerLens names and
/// shapes, readable from Python with <c>safetensors.torch.load_file</c>), <c>optimizer.safetensors</c> (AdamW moments)
/// and <c>checkpoint.json</c>. The directory is built beside the old one and swapped in, so a crash leaves either the
/// previous checkpoint or the new one, never a mix.
/// </summary>
public static class Checkpoint
{
    public const string DirName = "checkpoint", ModelFile = "model.safetensors", OptimizerFile = "optimizer.safetensors", InfoFile = "checkpoint.json";

    public static string Dir(string run) => Path.Combine(run, DirName);

    /// <summary>
    /// A run directory: one with a checkpoint, or one holding nothing but what an interrupted `mirage train` leaves
    /// before its first checkpoint is in place (loss.csv, timing.csv, eval files, temporary names).
    /// </summary>
    public static readonly OutputKind RunKind = new("mirage train", "a run directory", IsRunDirectory, run => StagingDirectory.Recover(Dir(run)));

    /// <summary>Names `mirage train` and `mirage eval` write in a run directory (for a caller about to delete one whole).</summary>
    public static bool IsRunEntry(string n) => RunFiles.Contains(n) || n == DirName || n.StartsWith(DirName + ".old-", StringComparison.Ordinal)
        || n.StartsWith("." + DirName + ".tmp-", StringComparison.Ordinal) || AtomicFile.TempSuffix.IsMatch(n);

    static readonly HashSet<string> RunFiles = ["loss.csv", "timing.csv", "eval.json", "eval.csv"];

    static bool IsRunDirectory(string run)
    {
        if (File.Exists(Path.Combine(Dir(run), InfoFile)) || Directory.GetDirectories(run, DirName + ".old-*").Length > 0) return true;
        // A checkpoint directory without checkpoint.json is accepted only empty: Checkpoint.Save replaces it whole.
        return Directory.EnumerateFileSystemEntries(run).Select(Path.GetFileName).All(n =>
            RunFiles.Contains(n!) || n!.StartsWith("." + DirName + ".tmp-", StringComparison.Ordinal) || AtomicFile.TempSuffix.IsMatch(n)
            || n == DirName && !Directory.EnumerateFileSystemEntries(Dir(run)).Any());
    }

    public static bool Exists(string run)
    {
        Recover(run);
        return File.Exists(Path.Combine(Dir(run), InfoFile));
    }

    /// <summary>
    /// Saves the model (with <paramref name="average"/>, its averaged weights: the model the run stands for) and the
    /// training state — AdamW's moments and, with an average, the raw weights that keep training.
    /// </summary>
    public static void Save(string run, HookedTransformer model, AdamW? optimizer, CheckpointInfo info, WeightAverage? average = null)
    {
        using var staging = new StagingDirectory(Dir(run));
        using (var _ = torch.no_grad())
        {
            if (optimizer is not null)
            {
                var state = optimizer.StateTensors();
                if (average is not null) foreach (var (k, v) in average.RawWeights()) state[k] = v;
                Safetensors.Save(Path.Combine(staging.Path, OptimizerFile), state, new Dictionary<string, string> { ["step"] = optimizer.StepCount.ToString() });
            }
            using (average?.Applied())
            {
                var sd = model.ToTransformerLensStateDict();
                try { Safetensors.Save(Path.Combine(staging.Path, ModelFile), sd, new Dictionary<string, string> { ["format"] = "pt", ["mirage"] = "transformer_lens names" }); }
                finally { foreach (var t in sd.Values) t.Dispose(); }
            }
        }
        Json.Save(Path.Combine(staging.Path, InfoFile), info);
        staging.Commit();
    }

    public static CheckpointInfo LoadInfo(string run)
    {
        if (string.IsNullOrWhiteSpace(run)) throw new UserError("--run: empty path; expected a run directory");
        if (File.Exists(run)) throw new UserError($"{run}: is a file; expected a run directory (from `mirage train --out`)");
        if (!Exists(run)) throw new UserError($"{run}: no checkpoint found (expected {Path.Combine(Dir(run), InfoFile)}); train a model first with `mirage train --out {run}`");
        var path = Path.Combine(Dir(run), InfoFile);
        var info = Json.Load<CheckpointInfo>(path, "checkpoint info");
        if (info.FormatVersion != 1) throw new UserError($"{path}: format_version {info.FormatVersion} is not supported (expected 1)");
        info.Model.Validate(path);
        if (info.Vocabulary is null || info.Vocabulary.Count != info.Model.VocabSize)
            throw new UserError($"{path}: vocabulary has {info.Vocabulary?.Count ?? 0} tokens but model.vocab_size is {info.Model.VocabSize}");
        return info;
    }

    /// <summary>Builds the model of a run and loads its weights (validated by name and shape).</summary>
    public static (HookedTransformer Model, CheckpointInfo Info) LoadModel(string run)
    {
        var info = LoadInfo(run);
        var model = new HookedTransformer(info.Model);
        var path = Path.Combine(Dir(run), ModelFile);
        var (tensors, _) = Safetensors.Load(path);
        try { model.LoadTransformerLensStateDict(tensors, path); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
        model.eval();
        return (model, info);
    }

    /// <summary>Restores the training state; with <paramref name="average"/>, the model's (averaged) weights become the average and the raw weights return.</summary>
    public static void LoadOptimizer(string run, AdamW optimizer, CheckpointInfo info, WeightAverage? average = null)
    {
        var path = Path.Combine(Dir(run), OptimizerFile);
        if (!File.Exists(path)) throw new UserError($"{path}: optimizer state missing; cannot resume training exactly");
        var (tensors, _) = Safetensors.Load(path);
        try
        {
            foreach (var (name, t) in tensors) Safetensors.CheckFinite(t, name, path);
            optimizer.LoadState(tensors, info.OptimizerStep, path);
            average?.LoadRaw(tensors, path);
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    /// <summary>Checks that a run's vocabulary is the data's; a model cannot read another vocabulary's ids.</summary>
    public static void CheckVocabulary(CheckpointInfo info, string run, TaskData data)
    {
        var runVocab = new Vocabulary(info.Vocabulary.Skip(3));
        if (info.Task != data.Task.Name || !runVocab.SameAs(data.Task.Vocabulary))
            throw new UserError($"{data.Directory}: data vocabulary ({data.Task.Name}, {data.Task.Vocabulary.Count} tokens) differs from the run's ({info.Task}, {info.Vocabulary.Count} tokens) in {run}");
    }

    /// <summary>A crash between the two renames of <see cref="StagingDirectory.Commit"/> leaves only the old copy: restore it.</summary>
    static void Recover(string run)
    {
        var dir = Dir(run);
        if (Directory.Exists(dir) || !Directory.Exists(run)) return;
        var old = Directory.GetDirectories(run, DirName + ".old-*").FirstOrDefault();
        if (old is not null) Directory.Move(old, dir);
    }
}
