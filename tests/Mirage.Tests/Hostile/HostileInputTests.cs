using Mirage.IO;

namespace Mirage.Tests.Hostile;

/// <summary>
/// Issue 13's hostile new user, as a table: every subcommand given what it should refuse. Each case runs on its own
/// copy of a finished tiny pipeline and asserts the documented exit code (2 a user mistake, 3 the file system or a
/// lock), one line on stderr naming the file, flag or key, no stack trace, no partial output (no new entry, no
/// temporary name) and — every file checksummed before — nothing lost or changed.
/// </summary>
public partial class HostileInputTests(HostileFixture fixture) : IClassFixture<HostileFixture>
{
    static readonly string[] D = ["data", "dyck", "--k", "4", "--max-depth", "4", "--train", "400", "--per-split", "30", "--config", "{w}/dc.json"];
    static readonly string[] C = ["data", "code", "--window", "16", "--max-train-depth", "1", "--train", "60", "--per-split", "12", "--corpus", "{w}/py", "--ood-corpus", "{w}/java"];
    static readonly string[] T = ["train", "--data", "{w}/d", "--config", "{w}/tc.json", "--quiet"];
    static readonly string[] E = ["eval", "--run", "{w}/r", "--data", "{w}/d"];
    static readonly string[] S = ["simplify", "--run", "{w}/r", "--data", "{w}/d", "--proxy", "pca", "--sweep", "1", "--fit-n", "50", "--resamples", "20", "--quiet"];
    static readonly string[] R = ["report", "{w}/res", "--resamples", "20"];
    static readonly string[] P = ["reproduce", "dyck", "--scale", "quick", "--seeds", "1", "--quiet"];

    /// <summary>data code on another corpus (the OOD corpus stays given: the machine's JDK is never searched in tests).</summary>
    static string[] Cx(string corpus) => [.. C[..10], "--corpus", corpus, "--ood-corpus", "{w}/java"];

    static HostileCase Case(string name, string[] prefix, string[] more, int exit, params string[] mentions) => new(name, [.. prefix, .. more], exit, mentions);

    static Action<string> File_(string relative, string text) => w => File.WriteAllText(Path.Combine(w, relative), text);

    static void Truncate(string w, string relative)
    {
        var path = Path.Combine(w, relative);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
    }

    /// <summary>Puts a NaN into the first weight of the run's embedding (a model whose training blew up).</summary>
    internal static void NanWeights(string w)
    {
        var path = Path.Combine(w, "r/checkpoint/model.safetensors");
        var (tensors, meta) = SafetensorsFile.Read(path);
        var e = tensors.Single(t => t.Name == "embed.W_E");
        BitConverter.GetBytes(float.NaN).CopyTo(e.Data, 0);
        SafetensorsFile.Write(path, tensors, meta);
    }

    /// <summary>Another process's lock, held through the libc flock path the CLI uses (flock is per open file, so this conflicts in-process too).</summary>
    static Func<string, IDisposable> Locked(string relative) => w => DirectoryLock.Acquire(Path.Combine(w, relative), "mirage train");

    public static readonly Dictionary<string, HostileCase> Cases = new HostileCase[]
    {
        // data dyck
        Case("data: --out empty", D, ["--out", ""], 2, "--out", "empty"),
        Case("data: --out a file", D, ["--out", "{w}/dc.json"], 2, "dc.json", "is a file"),
        Case("data: --out under a file", D, ["--out", "{w}/dc.json/d"], 2, "dc.json", "is a file"),
        Case("data: --out under /proc", D, ["--out", "/proc/mirage-hostile"], 3, "/proc/mirage-hostile"),
        Case("data: --out under /sys", D, ["--out", "/sys/mirage-hostile/d"], 3, "/sys/mirage-hostile"),
        Case("data: --out a directory of user files", D, ["--out", "{w}/user"], 2, "user", "not empty"),
        Case("data: --out a results directory", D, ["--out", "{w}/res"], 2, "res", "data directory"),
        Case("data: --out holding a different dataset", D, ["--out", "{w}/d", "--seed", "5"], 2, "different dataset", "seed"),
        Case("data: rerun on a truncated split", D, ["--out", "{w}/d"], 2, "train.jsonl", "sha256") with { Setup = w => Truncate(w, "d/train.jsonl") },
        Case("data: --out the config's directory", D, ["--out", "{w}"], 2, "contains the input"),
        Case("data: unknown config keys", ["data", "dyck", "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "\"K\"", "\"k\"") with { Setup = File_("bad.json", """{"K": 8, "maxDepth": 3}""") },
        Case("data: misspelt config key", ["data", "dyck", "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "max_depht", "\"max_depth\"") with { Setup = File_("bad.json", """{"max_depht": 3}""") },
        Case("data: config not found", ["data", "dyck", "--config", "{w}/nope.json"], ["--out", "{w}/x"], 2, "nope.json", "not found"),
        Case("data: config not JSON", ["data", "dyck", "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "invalid") with { Setup = File_("bad.json", "{\"k\": ") },
        Case("data: config is a directory", ["data", "dyck", "--config", "{w}/user"], ["--out", "{w}/x"], 2, "user", "is a directory"),
        Case("data: impossible --per-split", ["data", "dyck", "--per-split", "1000000000"], ["--out", "{w}/x"], 2, "per_split", "max_draws_per_split"),
        Case("data: --k 0", ["data", "dyck", "--k", "0"], ["--out", "{w}/x"], 2, "k must be"),
        Case("data: locked --out", D, ["--out", "{w}/x"], 3, "x", "another mirage process", "process " + Environment.ProcessId) with { Hold = Locked("x"), MayCreate = [".x.lock"] },
        // data code
        Case("code: corpus not found", Cx("{w}/missing"), ["--out", "{w}/x"], 2, "missing", "not found"),
        Case("code: corpus a plain file", Cx("{w}/dc.json"), ["--out", "{w}/x"], 2, "dc.json", "directory or a .zip"),
        Case("code: corpus archive a FIFO", Cx("{w}/fifo.zip"), ["--out", "{w}/x"], 2, "fifo.zip", "not a regular file") with { Setup = w => MakeFifo(Path.Combine(w, "fifo.zip")) },
        Case("code: --out the corpus", C, ["--out", "{w}/py"], 2, "py", "also an input"),
        Case("code: --out inside the corpus", C, ["--out", "{w}/py/data"], 2, "inside the input"),
        Case("code: --out around the corpus", C, ["--out", "{w}"], 2, "contains the input"),
        Case("code: unknown config key", [.. C, "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "windw", "\"window\"") with { Setup = File_("bad.json", """{"windw": 16}""") },
        Case("code: --window 4", C, ["--out", "{w}/x", "--window", "4"], 2, "window"),
        Case("code: --out a file", C, ["--out", "{w}/dc.json"], 2, "dc.json", "is a file"),
        Case("code: --out user files", C, ["--out", "{w}/user"], 2, "user", "not empty"),
        // train
        Case("train: --out empty", T, ["--out", ""], 2, "--out", "empty"),
        Case("train: --out a file", T, ["--out", "{w}/dc.json"], 2, "dc.json", "is a file"),
        Case("train: --out the data", T, ["--out", "{w}/d"], 2, "also an input"),
        Case("train: --out inside the data", T, ["--out", "{w}/d/run"], 2, "inside the input"),
        Case("train: --out user files", T, ["--out", "{w}/user"], 2, "user", "run directory"),
        Case("train: --out a results directory", T, ["--out", "{w}/res"], 2, "res", "run directory"),
        Case("train: --out under /proc", T, ["--out", "/proc/mirage-hostile"], 3, "/proc/mirage-hostile"),
        Case("train: misspelt keys in both sections", ["train", "--data", "{w}/d", "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "training.lr", "learning_rate")
            with { Setup = File_("bad.json", """{"training": {"lr": 5}, "model": {"d_model": 64}}""") },
        Case("train: misspelt model key", ["train", "--data", "{w}/d", "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "model.dmodel", "model.d_model")
            with { Setup = File_("bad.json", """{"model": {"dmodel": 64}}""") },
        Case("train: unknown section", ["train", "--data", "{w}/d", "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "modle", "\"model\"")
            with { Setup = File_("bad.json", """{"modle": {}}""") },
        Case("train: vocab_size in the config", ["train", "--data", "{w}/d", "--config", "{w}/bad.json"], ["--out", "{w}/x"], 2, "bad.json", "vocab_size")
            with { Setup = File_("bad.json", """{"model": {"vocab_size": 9}}""") },
        Case("train: batch larger than the data", T, ["--out", "{w}/x", "--batch-size", "100000"], 2, "batch_size", "400"),
        Case("train: diverging learning rate", T, ["--out", "{w}/x", "--lr", "1e9"], 2, "diverged", "--lr", "warmup_steps", "no checkpoint") with { MayCreate = [".x.lock"] },
        Case("train: --data a file", ["train", "--data", "{w}/dc.json"], ["--out", "{w}/x"], 2, "dc.json", "is a file"),
        Case("train: --data missing", ["train", "--data", "{w}/missing"], ["--out", "{w}/x"], 2, "missing", "not found"),
        Case("train: --data a results directory", ["train", "--data", "{w}/res"], ["--out", "{w}/x"], 2, "res", "not a data directory", "mirage simplify"),
        Case("train: --data with a truncated split", T, ["--out", "{w}/x"], 2, "train.jsonl", "sha256") with { Setup = w => Truncate(w, "d/train.jsonl") },
        Case("train: resume with other settings", T, ["--out", "{w}/r", "--d-model", "32"], 2, "checkpoint.json", "d_model"),
        Case("train: --steps 0", T, ["--out", "{w}/x", "--steps", "0"], 2, "steps"),
        Case("train: context too short", T, ["--out", "{w}/x", "--context-length", "5"], 2, "context_length"),
        Case("train: second train on a locked run", T, ["--out", "{w}/r", "--steps", "40"], 3, "another mirage process", "process " + Environment.ProcessId, "host " + Environment.MachineName) with { Hold = Locked("r") },
        // eval
        Case("eval: --run a file", ["eval", "--run", "{w}/dc.json", "--data", "{w}/d"], [], 2, "dc.json", "is a file"),
        Case("eval: --run missing", ["eval", "--run", "{w}/missing", "--data", "{w}/d"], [], 2, "missing", "no checkpoint"),
        Case("eval: --run a data directory", ["eval", "--run", "{w}/d", "--data", "{w}/d"], [], 2, "no checkpoint"),
        Case("eval: NaN weights", E, [], 2, "model.safetensors", "embed.W_E", "non-finite") with { Setup = NanWeights },
        Case("eval: truncated weights", E, [], 2, "model.safetensors", "not a valid safetensors file") with { Setup = w => Truncate(w, "r/checkpoint/model.safetensors") },
        Case("eval: corrupt checkpoint.json", E, [], 2, "checkpoint.json") with { Setup = File_("r/checkpoint/checkpoint.json", "{\"task\": ") },
        Case("eval: --threads 0", E, ["--threads", "0"], 2, "--threads"),
        Case("eval: locked run", E, [], 3, "another mirage process", "process " + Environment.ProcessId) with { Hold = Locked("r") },
        // simplify
        Case("simplify: --out the run", S, ["--out", "{w}/r"], 2, "also an input"),
        Case("simplify: --out the data", S, ["--out", "{w}/d"], 2, "also an input"),
        Case("simplify: --out around the inputs", S, ["--out", "{w}"], 2, "contains the input"),
        Case("simplify: --out inside the run", S, ["--out", "{w}/r/res"], 2, "inside the input"),
        Case("simplify: --out user files", S, ["--out", "{w}/user"], 2, "user", "results directory"),
        Case("simplify: --out a report directory", S, ["--out", "{w}/rep"], 2, "rep", "results directory"),
        Case("simplify: --out a file", S, ["--out", "{w}/dc.json"], 2, "dc.json", "is a file"),
        Case("simplify: --out empty", S, ["--out", ""], 2, "--out", "empty"),
        Case("simplify: --out under /proc", S, ["--out", "/proc/mirage-hostile"], 3, "/proc/mirage-hostile"),
        Case("simplify: --out under /sys", S, ["--out", "/sys/mirage-hostile"], 3, "/sys/mirage-hostile"),
        Case("simplify: --out of the current directory", S, ["--out", "."], 2, "--out .", "contains the input") with { InProcess = false },
        Case("simplify: sweep of a proxy not asked for", S, ["--out", "{w}/x", "--sweep", "kmeans=2"], 2, "--sweep kmeans=2", "--proxy kmeans"),
        Case("simplify: kmeans=0", S, ["--out", "{w}/x", "--proxy", "kmeans", "--sweep", "kmeans=0"], 2, "kmeans", "at least 1"),
        Case("simplify: unknown proxy", S, ["--out", "{w}/x", "--proxy", "nope"], 2, "nope"),
        Case("simplify: unknown site", S, ["--out", "{w}/x", "--site", "blocks.9.attn"], 2, "blocks.9.attn"),
        Case("simplify: head out of range", S, ["--out", "{w}/x", "--heads", "5"], 2, "--heads"),
        Case("simplify: unknown fit split", S, ["--out", "{w}/x", "--fit-split", "nope"], 2, "--fit-split", "nope"),
        Case("simplify: NaN weights", S, ["--out", "{w}/x"], 2, "embed.W_E", "non-finite") with { Setup = NanWeights },
        Case("simplify: run glob matching nothing", ["simplify", "--run", "{w}/nomatch*", "--data", "{w}/d"], ["--out", "{w}/x"], 2, "nomatch", "no directory matches"),
        Case("simplify: --out results holding a user's file", S, ["--out", "{w}/res"], 2, "res", "notes.txt", "move it out") with { Setup = File_("res/notes.txt", "mine") },
        Case("simplify: locked --out", S, ["--out", "{w}/res"], 3, "res", "another mirage process") with { Hold = Locked("res") },
        // report
        Case("report: --out the results", R, ["--out", "{w}/res"], 2, "also an input"),
        Case("report: --out inside the results", R, ["--out", "{w}/res/report"], 2, "inside the input"),
        Case("report: --out user files", R, ["--out", "{w}/user"], 2, "user", "report directory"),
        Case("report: --out a run directory", R, ["--out", "{w}/r"], 2, "report directory"),
        Case("report: --out a report holding a user's file", R, ["--out", "{w}/rep"], 2, "rep", "notes.txt") with { Setup = File_("rep/notes.txt", "mine") },
        // A PNG is the kind of file a report writes, yet not one this report wrote: its manifest's list tells them apart.
        Case("report: --out a report holding a user's picture", R, ["--out", "{w}/rep"], 2, "rep", "screenshot.png", "move it out") with { Setup = File_("rep/screenshot.png", "mine") },
        Case("report: --out a file", R, ["--out", "{w}/dc.json"], 2, "dc.json", "is a file"),
        Case("report: --out empty", R, ["--out", ""], 2, "--out", "empty"),
        Case("report: --out under /proc", R, ["--out", "/proc/mirage-hostile"], 3, "/proc/mirage-hostile"),
        Case("report: results a file", ["report", "{w}/dc.json"], ["--out", "{w}/x"], 2, "dc.json", "is a file"),
        Case("report: results missing", ["report", "{w}/missing"], ["--out", "{w}/x"], 2, "missing", "not found"),
        Case("report: results a data directory", ["report", "{w}/d"], ["--out", "{w}/x"], 2, "not a results directory"),
        Case("report: --resamples 0", R, ["--out", "{w}/x", "--resamples", "0"], 2, "--resamples"),
        // reproduce
        Case("reproduce: --out a file", P, ["--out", "{w}/dc.json"], 2, "dc.json", "is a file"),
        Case("reproduce: --out user files", P, ["--out", "{w}/user"], 2, "user", "study directory"),
        Case("reproduce: --out a data directory", P, ["--out", "{w}/d"], 2, "study directory"),
        Case("reproduce: --out empty", P, ["--out", ""], 2, "--out", "empty"),
        Case("reproduce: --out under /proc", P, ["--out", "/proc/mirage-hostile"], 3, "/proc/mirage-hostile"),
        Case("reproduce: --out of a project folder", P, ["--out", "."], 2, "--out .", "study directory") with { InProcess = false },
        Case("reproduce: a user's data/ in an old study", P, ["--out", "{w}/study"], 2, "data", "not a data directory")
            with { Setup = w => { Directory.CreateDirectory(Path.Combine(w, "study/data")); File.WriteAllText(Path.Combine(w, "study/stages.json"), "{}"); File.WriteAllText(Path.Combine(w, "study/data/mine.txt"), "mine"); }, MayCreate = [".study.lock", "study/manifest.json"] },
        Case("reproduce: a study's data/ holding a user's file", P, ["--out", "{w}/study"], 2, "data", "notes.txt")
            with { Setup = w => { Copy(Path.Combine(w, "d"), Path.Combine(w, "study/data")); File.WriteAllText(Path.Combine(w, "study/stages.json"), "{}"); File.WriteAllText(Path.Combine(w, "study/data/notes.txt"), "mine"); }, MayCreate = [".study.lock", "study/manifest.json"] },
        // A .jsonl is the kind of file a data directory holds, yet not one its manifest lists.
        Case("reproduce: a study's data/ holding a user's split file", P, ["--out", "{w}/study"], 2, "data", "extra.jsonl", "move it out")
            with { Setup = w => { Copy(Path.Combine(w, "d"), Path.Combine(w, "study/data")); File.WriteAllText(Path.Combine(w, "study/stages.json"), "{}"); File.WriteAllText(Path.Combine(w, "study/data/extra.jsonl"), "[1, 2]\n"); }, MayCreate = [".study.lock", "study/manifest.json"] },
        Case("reproduce: unknown scale", ["reproduce", "dyck", "--scale", "huge"], ["--out", "{w}/x"], 2, "--scale huge"),
        Case("reproduce: --seeds 0", P, ["--out", "{w}/x", "--seeds", "0"], 2, "--seeds"),
        Case("reproduce code: --out inside the corpus", ["reproduce", "code", "--scale", "quick", "--corpus", "{w}/py", "--ood-corpus", "{w}/java"], ["--out", "{w}/py/study"], 2, "inside the input"),
        // bench
        Case("bench train: --steps 0", ["bench", "train", "--steps", "0"], [], 2, "--steps"),
        Case("bench train: --heads 0", ["bench", "train", "--steps", "1", "--heads", "0"], [], 2, "--heads"),
        Case("bench train: --heads 3 (d_model 128)", ["bench", "train", "--steps", "1", "--heads", "3"], [], 2, "--heads 3", "multiple of heads"),
        Case("bench train: --reps 4", ["bench", "train", "--reps", "4"], [], 2, "--reps"),
        Case("bench train: --peak-sizes x", ["bench", "train", "--peak-sizes", "2048,x"], [], 2, "--peak-sizes"),
        Case("bench train: --data missing", ["bench", "train", "--data", "{w}/missing"], [], 2, "missing"),
        Case("bench simplify: --reps 1", ["bench", "simplify", "--run", "{w}/r", "--data", "{w}/d", "--reps", "1"], [], 2, "--reps"),
        Case("bench simplify: --proxies nope", ["bench", "simplify", "--run", "{w}/r", "--data", "{w}/d", "--proxies", "pca,nope"], [], 2, "nope"),
        Case("bench simplify: --run a file", ["bench", "simplify", "--run", "{w}/dc.json", "--data", "{w}/d"], [], 2, "dc.json", "is a file"),
        Case("bench simplify: --data missing", ["bench", "simplify", "--run", "{w}/r", "--data", "{w}/missing"], [], 2, "missing"),
        Case("bench simplify: NaN weights", ["bench", "simplify", "--run", "{w}/r", "--data", "{w}/d"], [], 2, "non-finite") with { Setup = NanWeights },
    }.ToDictionary(c => c.Name);

    public static IEnumerable<object[]> Names => Cases.Keys.Select(k => new object[] { k });

    [Fact]
    public void The_table_has_at_least_60_cases_across_every_subcommand()
    {
        Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");
        foreach (var command in new[] { "data dyck", "data code", "train", "eval", "simplify", "report", "reproduce", "bench" })
            Assert.Contains(Cases.Values, c => string.Join(' ', c.Args).StartsWith(command, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Hostile_input_gets_one_clear_line_a_documented_exit_code_and_loses_nothing(string name)
    {
        var c = Cases[name];
        var w = fixture.NewCase(name);
        c.Setup?.Invoke(w);
        var before = new DirectorySnapshot(w);
        int code; string stdout, stderr;
        using (c.Hold?.Invoke(w))
            (code, stdout, stderr) = c.InProcess ? CliRunner.Run(c.ArgsFor(w)) : CliProcess.Run(w, c.ArgsFor(w), 120);
        HostileAssert.OneLineError(code, stdout, stderr, c.Exit, c.Mentions.Select(m => m.Replace("{w}", w)));
        before.AssertNothingLostOrChanged(c.MayCreate);
    }

    static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    internal static void MakeFifo(string path)
    {
        using var p = System.Diagnostics.Process.Start("mkfifo", [path])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void A_fifo_in_a_code_corpus_is_skipped_and_counted_instead_of_blocking()
    {
        var w = fixture.NewCase("fifo in corpus");
        MakeFifo(Path.Combine(w, "py", "pipe.py"));
        // A separate process with a timeout: before the fix this command never returned.
        var (code, stdout, stderr) = CliProcess.Run(w, [.. C.Select(a => a.Replace("{w}", w)), "--out", Path.Combine(w, "dc")], 120);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("1 not a regular file", stdout);
        Assert.Contains("12 files read of 13 found", stdout);
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(w, "dc", "manifest.json")));
        Assert.Equal(1, manifest.RootElement.GetProperty("corpus").GetProperty("skipped_not_regular").GetInt32());
    }
}
