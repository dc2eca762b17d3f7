using System.IO.Compression;
using System.Text;
using Mirage.Cli.Commands;
using Mirage.Cli.Terminal;
using Mirage.IO;
using Mirage.Study;
using Mirage.Tasks;
using Mirage.Tasks.Code;
using static Mirage.Tests.Fakes.CorpusFiles;

namespace Mirage.Tests;

public class CodeDataTests : TempDirectoryTests
{
    readonly string _py, _java;

    /// <summary>No machine defaults in tests: nothing is fetched, a missing corpus is explicit, and java is "not installed".</summary>
    static readonly CodeDefaults NoJava = new(_ => (null, [], "no network in this test"), () => (null, "no python in this test"), () => (null, "no JDK in this test"));

    public CodeDataTests()
    {
        _py = Path.Combine(Dir, "py");
        for (int i = 0; i < 14; i++)
            Write(Path.Combine(_py, i < 11 ? "" : "pkg/sub", $"mod{i}.py"), PyFile(i), crlf: i == 3);
        Write(Path.Combine(_py, "__pycache__", "cached.py"), PyFile(99));      // excluded directories
        Write(Path.Combine(_py, "site-packages", "third.py"), PyFile(98));
        Write(Path.Combine(_py, "notes.txt"), "not a source file");
        File.WriteAllBytes(Path.Combine(_py, "binary.py"), [0x61, 0x00, 0x62, 0x0a]);
        File.WriteAllBytes(Path.Combine(_py, "latin1.py"), [.. Encoding.ASCII.GetBytes("name = 'Jos"), 0xE9, (byte)'\'', 0x0a]);

        _java = Path.Combine(Dir, "java");
        for (int i = 0; i < 3; i++) Write(Path.Combine(_java, $"Cls{i}.java"), JavaFile(i));
    }

    CodeConfig Small(int seed = 0, bool java = true) => new()
    {
        Corpus = [_py], OodCorpus = java ? [_java] : [], Window = 16, MaxTrainDepth = 1, Train = 60, PerSplit = 12, IidFraction = 0.3, Seed = seed,
    };

    static CodeDataset Build(CodeConfig c, CodeDefaults? d = null)
    {
        return CodeSplits.Build((d ?? NoJava).Resolve(c));
    }

    static CodeTask TaskFor(string chars) => new(new Vocabulary(chars.Distinct().Order().Select(ch => ch.ToString()).Append(CodeSplits.Unk)), 64);

    static List<ScoredPosition> Score(CodeTask task, string text)
    {
        var list = new List<ScoredPosition>();
        task.Score(task.Encode(text), list);
        return list;
    }

    [Fact]
    public void Score_categorises_closers_repeated_words_and_the_rest()
    {
        var task = TaskFor("ab(cd[e]f) x");
        const string text = "ab(cd[e]f) ab x";
        var s = Score(task, text);
        Assert.Equal(text.Length, s.Count);                               // every window character, END excluded
        Assert.Equal(Enumerable.Range(0, text.Length), s.Select(p => p.Position));
        Assert.All(s, p => Assert.Equal(task.IdOf(text[p.Position]), p.Target));
        Assert.Equal(new ScoredPosition(7, task.IdOf(']'), 2, 2, CodeTask.ClosingBracket), s[7]);
        Assert.Equal(new ScoredPosition(9, task.IdOf(')'), 1, 7, CodeTask.ClosingBracket), s[9]);
        Assert.Equal(new ScoredPosition(11, task.IdOf('a'), 0, 0, CodeTask.Other), s[11]);          // first character: not a copy
        Assert.Equal(new ScoredPosition(12, task.IdOf('b'), 0, 11, CodeTask.RepeatedWord), s[12]);
        Assert.Equal(new ScoredPosition(6, task.IdOf('e'), 2, 0, CodeTask.Other), s[6]);            // depth inside [ ]
        Assert.Equal(new ScoredPosition(1, task.IdOf('b'), 0, 0, CodeTask.Other), s[1]);            // first occurrence
        Assert.Equal(2, s.Count(p => p.Category == CodeTask.ClosingBracket));
        Assert.Single(s, p => p.Category == CodeTask.RepeatedWord);
    }

    [Fact]
    public void Depth_profile_follows_the_brackets_and_feeds_the_pca_colouring()
    {
        var task = TaskFor("ab(cd[e]f) x");
        // START a b ( c d [ e ] f ) ␣ x END: depth after each token.
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0], ((ISequenceTask)task).Depths(task.Encode("ab(cd[e]f) x")));
        Assert.Equal([0, 0, 0], ((ISequenceTask)task).Depths(task.Encode(")")));        // a closer without opener never goes below 0
        Assert.Equal("deep_nesting", ((ISequenceTask)task).DeepSplit);
        Assert.Equal(["iid", "java"], ((ISequenceTask)task).ExampleSplits);
    }

    [Fact]
    public void Score_needs_the_exact_whole_word_the_most_recent_occurrence_and_a_matching_opener()
    {
        var task = TaskFor("abc x1(]) 9");
        // "abc ab": ab is not the word abc; "x1 x1 x1": distance to the most recent occurrence; "9ab" is a number.
        var s = Score(task, "abc ab x1 x1 x1");
        Assert.All(s.Take(7), p => Assert.Equal(CodeTask.Other, p.Category));
        Assert.Equal((CodeTask.RepeatedWord, 3), (s[11].Category, s[11].Distance));
        Assert.Equal((CodeTask.RepeatedWord, 3), (s[14].Category, s[14].Distance));
        Assert.Equal(2, s.Count(p => p.Category == CodeTask.RepeatedWord));
        Assert.All(Score(task, "9ab 9ab"), p => Assert.Equal(CodeTask.Other, p.Category));
        // A mismatched closer and a closer with no in-window opener are "other".
        var m = Score(task, "(]) )");
        Assert.Equal((CodeTask.Other, 1), (m[1].Category, m[1].Depth));
        Assert.Equal(CodeTask.Other, m[2].Category);
        Assert.Equal((CodeTask.Other, 0), (m[4].Category, m[4].Depth));
        // Unknown characters map to <unk>, which is never a bracket or a word character.
        var ids = task.Encode("aé a");
        Assert.Equal(task.UnkId, ids[2]);
        Assert.Equal(1, task.CountUnk("aé a"));
        var u = new List<ScoredPosition>(); task.Score(ids, u);
        Assert.Equal(CodeTask.Other, u[3].Category);
        Assert.Equal(3, Brackets.MaxDepth("([{}])((".AsSpan()));
        Assert.Equal(1, Brackets.MaxDepth(")))(".AsSpan()));
    }

    [Fact]
    public void Splits_meet_their_definitions_with_the_requested_counts()
    {
        var c = Small();
        var d = Build(c);
        Assert.Equal(CodeSplits.Names, d.SplitNames);
        Assert.Equal(c.Train, d.Splits["train"].Count);
        foreach (var s in new[] { "iid", "deep_nesting", "java" }) Assert.Equal(c.PerSplit, d.Splits[s].Count);
        Assert.All(d.Splits.Values.SelectMany(w => w), w =>
        {
            Assert.Equal(c.Window, w.Text.Length);
            Assert.Equal(Brackets.MaxDepth(w.Text), w.MaxDepth);
            Assert.DoesNotContain('\r', w.Text);
        });
        Assert.All(d.Splits["train"].Concat(d.Splits["iid"]), w => Assert.True(w.MaxDepth <= c.MaxTrainDepth));
        Assert.All(d.Splits["deep_nesting"], w => Assert.True(w.MaxDepth > c.MaxTrainDepth));
        // Held-out files first; the rest (recorded) from train files, whose deep windows train never holds.
        Assert.Equal(c.PerSplit - d.DeepFromTrainFiles, d.Splits["deep_nesting"].Count(w => CodeSplits.IsHeldOut(w.File, c.IidFraction)));
        Assert.Equal(d.Splits["deep_nesting"].Take(c.PerSplit - d.DeepFromTrainFiles), d.Splits["deep_nesting"].Where(w => CodeSplits.IsHeldOut(w.File, c.IidFraction)));
        Assert.All(d.Splits["java"], w => Assert.EndsWith(".java", w.File));
        Assert.DoesNotContain(d.Splits.Values.SelectMany(w => w), w => w.File.Contains("__pycache__") || w.File.Contains("site-packages"));
    }

    [Fact]
    public void Deep_windows_from_train_files_are_also_evaluated_apart_from_the_held_out_ones()
    {
        // More deep windows than the held-out files have: deep_nesting must take some from train files (the file split
        // is a fixed hash, so which size does it is fixed too).
        var mixed = new[] { 40, 60, 80, 100, 150 }.Select(n => Small(java: false) with { PerSplit = n })
            .Select(c => { try { return (c, d: Build(c)); } catch (UserError) { return (c, d: null!); } })
            .First(x => x.d is not null && x.d.DeepFromTrainFiles is > 0 && x.d.DeepFromTrainFiles < x.c.PerSplit);
        var dir = Path.Combine(Dir, "mixed");
        CodeData.Write(dir, mixed.d);
        var td = TaskDataLoader.Load(dir);
        Assert.Equal(["train", "iid", "deep_nesting", CodeData.DeepHeldOut, CodeData.DeepTrainFiles], td.SplitNames);
        Assert.Equal(mixed.c.PerSplit - mixed.d.DeepFromTrainFiles, td.Splits[CodeData.DeepHeldOut].Count);
        Assert.Equal(mixed.d.DeepFromTrainFiles, td.Splits[CodeData.DeepTrainFiles].Count);
        Assert.Equal(td.Splits["deep_nesting"], td.Splits[CodeData.DeepHeldOut].Concat(td.Splits[CodeData.DeepTrainFiles]));
        Assert.Contains(CodeData.DeepTrainFiles, td.EvalSplits);
    }

    [Fact]
    public void Files_split_by_a_stable_path_hash_disjoint_and_independent_of_the_seed()
    {
        foreach (var seed in new[] { 0, 1, 2 })
        {
            var d = Build(Small(seed));
            var train = d.Splits["train"].Select(w => w.File).ToHashSet();
            var iid = d.Splits["iid"].Select(w => w.File).ToHashSet();
            Assert.Empty(train.Intersect(iid));
            Assert.All(train, f => Assert.False(CodeSplits.IsHeldOut(f, 0.3)));
            Assert.All(iid, f => Assert.True(CodeSplits.IsHeldOut(f, 0.3)));
            Assert.Equal(d.TrainFiles + d.HeldOutFiles, d.Corpus.FilesRead);
        }
        Assert.Equal(CodeSplits.PathHash("pkg/sub/mod11.py"), CodeSplits.PathHash("pkg/sub/mod11.py"));
        Assert.Equal(0xcbf29ce484222325UL, CodeSplits.PathHash(""));     // FNV-1a offset basis: the hash is the documented one
    }

    [Fact]
    public void Binary_and_non_utf8_files_are_counted_not_fatal()
    {
        var d = Build(Small());
        Assert.Equal(1, d.Corpus.SkippedBinary);
        Assert.Equal(1, d.Corpus.SkippedNonUtf8);
        Assert.Equal(14, d.Corpus.FilesRead);
        Assert.Equal(16, d.Corpus.FilesFound);
    }

    [Fact]
    public void Written_files_match_the_manifest_and_load_back_as_a_code_task()
    {
        var dir = Path.Combine(Dir, "out");
        var data = Build(Small());
        var m = CodeData.Write(dir, data);
        foreach (var s in m.Splits)
        {
            var path = Path.Combine(dir, s.File);
            Assert.Equal(Sha256.OfFile(path), s.Sha256);
            var recs = File.ReadAllLines(path).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(s.Count, recs.Count);
            Assert.Equal(s.MaxDepth, recs.Max(r => r.GetProperty("max_depth").GetInt32()));
            Assert.All(recs, r => Assert.Equal(16, r.GetProperty("text").GetString()!.Length));
            Assert.All(recs, r => Assert.True(r.GetProperty("offset").GetInt32() % 16 == 0));
        }
        Assert.Equal(1, m.Corpus.SkippedBinary);
        Assert.True(m.Splits.Single(s => s.Name == "java").Unk > 0);      // ';' and '@' never occur in the Python files
        Assert.Equal(0, m.Splits.Single(s => s.Name == "train").Unk);
        Assert.Equal(m.Vocabulary, data.Vocabulary.Tokens);
        Assert.Equal(CodeSplits.Unk, m.Vocabulary[^1]);

        var td = TaskDataLoader.Load(dir);
        var task = Assert.IsType<CodeTask>(td.Task);
        Assert.Equal(0, data.DeepFromTrainFiles);   // enough deep windows in held-out files here: no provenance splits
        Assert.Equal(CodeSplits.Names, td.SplitNames);
        Assert.Equal(17, task.DefaultModel.ContextLength);
        Assert.Equal(0, Mirage.Training.TrainingDefaults.For(task).TargetAccuracy);
        Assert.Empty(task.CandidateIds);
        Assert.Equal(td.MaxEncodedLength - 1, task.DefaultModel.ContextLength);
        Assert.Equal(m.Splits.Single(s => s.Name == "java").Unk, td.Splits["java"].Sum(ids => ids.Count(i => i == task.UnkId)));
        Assert.Equal(data.Splits["deep_nesting"].Select(w => w.MaxDepth), td.MaxDepths["deep_nesting"]);
        var scored = new List<ScoredPosition>();
        foreach (var ids in td.Splits.Values.SelectMany(s => s)) task.Score(ids, scored);
        Assert.Equal(td.Splits.Values.Sum(s => s.Count) * 16, scored.Count);
        Assert.Equal([0, 1, 2], scored.Select(p => p.Category).Distinct().Order());
        Assert.Empty(Directory.GetDirectories(Dir, ".*"));   // no staging leftovers

        // A changed file is caught by its sha256.
        var iid = Path.Combine(dir, "iid.jsonl");
        File.AppendAllText(iid, "{\"text\": \"x\", \"max_depth\": 0}\n");
        Assert.Contains("sha256", Assert.Throws<UserError>(() => TaskDataLoader.Load(dir)).Message);
    }

    [Fact]
    public void Same_seed_same_bytes_different_seed_different_data()
    {
        string a = Path.Combine(Dir, "a"), b = Path.Combine(Dir, "b"), c = Path.Combine(Dir, "c");
        CodeData.Write(a, Build(Small(3)));
        CodeData.Write(b, Build(Small(3)));
        CodeData.Write(c, Build(Small(4)));
        foreach (var f in Directory.GetFiles(a).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f!)), File.ReadAllBytes(Path.Combine(b, f!)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "train.jsonl")), File.ReadAllBytes(Path.Combine(c, "train.jsonl")));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "iid.jsonl")), File.ReadAllBytes(Path.Combine(c, "iid.jsonl")));
    }

    [Fact]
    public void Zip_archives_are_read_like_directories()
    {
        var pyZip = Path.Combine(Dir, "py.zip");
        ZipFile.CreateFromDirectory(_py, pyZip);
        var javaZip = Path.Combine(Dir, "src.zip");
        ZipFile.CreateFromDirectory(_java, javaZip);
        var fromZip = Build(Small() with { Corpus = [pyZip], OodCorpus = [javaZip] });
        var fromDir = Build(Small());
        Assert.Equal(fromDir.Corpus, fromZip.Corpus);                 // same files found, read and skipped
        Assert.Equal(fromDir.CorpusIdentity.FilesSha256, fromZip.CorpusIdentity.FilesSha256);   // and the same fingerprint
        foreach (var s in CodeSplits.Names)
            Assert.Equal(fromDir.Splits[s].Select(w => (w.File, w.Offset, w.Text)), fromZip.Splits[s].Select(w => (w.File, w.Offset, w.Text)));
    }

    [Fact]
    public void Missing_java_sources_skip_the_java_split_with_a_message()
    {
        var dir = Path.Combine(Dir, "nojava");
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(0, DataCommand.RunCode(new CliContext(o, e), dir, Small(java: false), NoJava));
        Assert.Contains("java: skipped (no --ood-corpus given and neither the pinned OpenJDK 17 sources (openjdk-17-source=", o.ToString());
        Assert.Contains("could be fetched (no network in this test) nor installed Java sources found (no JDK in this test))", o.ToString());
        Assert.False(File.Exists(Path.Combine(dir, "java.jsonl")));
        var m = CodeData.ReadManifest(dir);
        Assert.Contains("no JDK", m.SkippedSplits["java"]);
        Assert.Null(m.OodCorpus);
        Assert.Equal(["train", "iid", "deep_nesting"], TaskDataLoader.Load(dir).SplitNames);
        // Java sources that are missing when asked for is not this case: the JDK finder reports what it looked for.
        var (path, why) = CodeDefaults.FindJavaSources(Path.Combine(Dir, "no-jvm-here"));
        Assert.Null(path);
        Assert.Contains("no-jvm-here", why);
    }

    [Fact]
    public void A_split_that_cannot_be_filled_names_it_with_requested_and_available_counts()
    {
        var e = Assert.Throws<UserError>(() => Build(Small() with { PerSplit = 5000 }));
        Assert.Matches(@"split iid cannot be filled: 5000 windows requested, \d+ available", e.Message);
        e = Assert.Throws<UserError>(() => Build(Small() with { Train = 100_000 }));
        Assert.Matches(@"split train cannot be filled: 100000 windows requested, \d+ available", e.Message);
        e = Assert.Throws<UserError>(() => Build(Small() with { MaxTrainDepth = 10 }));
        Assert.Matches(@"split deep_nesting cannot be filled: 12 windows requested, 0 available", e.Message);
        e = Assert.Throws<UserError>(() => Build(Small() with { IidFraction = 0.0001 }));
        Assert.Contains("no file is left for iid", e.Message);
    }

    [Fact]
    public void Cli_builds_refuses_a_different_dataset_and_reruns_as_a_no_op()
    {
        var dir = Path.Combine(Dir, "d");
        string[] args = ["data", "code", "--out", dir, "--corpus", _py, "--ood-corpus", _java, "--window", "16", "--max-train-depth", "1",
                         "--train", "60", "--per-split", "12"];
        var cfg = Path.Combine(Dir, "c.json");
        File.WriteAllText(cfg, "{\"iid_fraction\": 0.3}");
        var (code, stdout, stderr) = CliRunner.Run([.. args, "--config", cfg]);
        Assert.True(code == 0, stderr);
        Assert.Contains("deep_nesting", stdout);
        Assert.Contains("1 binary, 1 not UTF-8", stdout);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, "train.jsonl"));
        var same = CliRunner.Run([.. args, "--config", cfg]);
        Assert.Equal(0, same.Code);
        Assert.Contains("already holds this dataset", same.Stdout);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(dir, "train.jsonl")));
        var other = CliRunner.Run([.. args, "--config", cfg, "--seed", "5"]);
        Assert.Equal(2, other.Code);
        Assert.Contains("different dataset", other.Stderr);
    }

    [Theory]
    [InlineData("empty", "holds no .py files")]
    [InlineData("missing", "corpus path not found")]
    [InlineData("window", "window must be between 8 and 4096")]
    [InlineData("binary-only", "none is readable UTF-8 text (1 binary, 0 not UTF-8")]
    public void Bad_input_exits_2_with_one_line_and_no_directory(string what, string expected)
    {
        var empty = Directory.CreateDirectory(Path.Combine(Dir, "empty")).FullName;
        var binOnly = Directory.CreateDirectory(Path.Combine(Dir, "bin")).FullName;
        File.WriteAllBytes(Path.Combine(binOnly, "x.py"), [1, 0, 2]);
        var corpus = what switch { "empty" => empty, "missing" => Path.Combine(Dir, "nope"), "binary-only" => binOnly, _ => _py };
        var dir = Path.Combine(Dir, "bad");
        var (code, _, stderr) = CliRunner.Run("data", "code", "--out", dir, "--corpus", corpus, "--ood-corpus", _java,
            "--window", what == "window" ? "4" : "16");
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir));
        Assert.Empty(Directory.GetDirectories(Dir, ".bad*"));
    }
}
