using Mirage.IO;
using Mirage.Study;
using Mirage.Tasks;
using Mirage.Tasks.Dyck;

namespace Mirage.Tests;

public class DyckTests : TempDirectoryTests
{
    static DyckConfig Small(int seed) => new() { K = 4, MaxDepth = 4, Train = 2000, PerSplit = 60, MaxLength = 64, ShortMaxLength = 20, Seed = seed };

    static bool Balanced(DyckSequence s)
    {
        var stack = new Stack<short>();
        foreach (var t in s.Tokens)
        {
            if (t > 0) stack.Push(t);
            else if (stack.Count == 0 || stack.Pop() != -t) return false;
        }
        return stack.Count == 0;
    }

    [Fact]
    public void Every_split_meets_its_definition_over_many_seeds()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var c = Small(seed);
            var splits = DyckSplits.Build(c);
            Assert.Equal(DyckSplits.Names.OrderBy(n => n), splits.Keys.OrderBy(n => n));
            Assert.Equal(c.Train, splits["train"].Count);
            var trainKeys = splits["train"].Select(s => s.Key).ToHashSet();
            var trainShapes = splits["train"].SelectMany(s => s.ComponentShapes()).ToHashSet();
            int trainDepth = splits["train"].Max(s => s.MaxDepth);
            foreach (var (name, seqs) in splits)
            {
                if (name != "train") Assert.Equal(c.PerSplit, seqs.Count);
                foreach (var s in seqs)
                {
                    Assert.True(Balanced(s), $"seed {seed} {name}: unbalanced");
                    Assert.InRange(s.Length, c.MinLength, c.MaxLength);
                    Assert.True(s.MaxDepth <= (name == "unseen_depth" ? c.DeepBound : c.MaxDepth), $"{name} too deep");
                    if (name != "train") Assert.DoesNotContain(s.Key, trainKeys);
                }
            }
            Assert.All(splits["seen_structure"], s => Assert.True(s.ComponentShapes().All(trainShapes.Contains)));
            Assert.All(splits["unseen_structure_short"], s => { Assert.Contains(s.ComponentShapes(), x => !trainShapes.Contains(x)); Assert.True(s.Length <= c.ShortMaxLength); });
            Assert.All(splits["unseen_structure_long"], s => { Assert.Contains(s.ComponentShapes(), x => !trainShapes.Contains(x)); Assert.True(s.Length > c.ShortMaxLength); });
            Assert.All(splits["unseen_depth"], s => Assert.True(s.MaxDepth > trainDepth));
        }
    }

    [Fact]
    public void Structure_cuts_where_the_stack_empties_and_erases_types()
    {
        var s = new DyckSequence([4, 8, -8, -4, 2, -2]);   // (3 (7 )7 )3 (1 )1
        Assert.Equal(["(())", "()"], s.ComponentShapes());
        Assert.Equal("(())|()", s.Structure);
        Assert.Equal(2, s.MaxDepth);
        Assert.Equal("(3", DyckSequence.TokenName(4));
        Assert.Equal(")7", DyckSequence.TokenName(-8));
    }

    [Fact]
    public void Sampler_follows_the_pushdown_automaton_rates()
    {
        // P(END | empty stack) = 1/2 and P(close | 0 < depth < m) = 1/2 give mean length near Murty's 25.8 for k=20, m=10.
        var sampler = new DyckSampler(20, 10, 4, 128, new Random(1));
        var lens = Enumerable.Range(0, 20000).Select(_ => sampler.Next()).Select(s => s.Length).ToArray();
        Assert.InRange(lens.Average(), 24.0, 27.5);
        Assert.InRange(lens.Count(l => l > 64) / 20000.0, 0.10, 0.155);
        Assert.True(lens.Min() >= 4);
    }

    [Fact]
    public void Cli_writes_a_file_per_split_and_a_manifest_that_matches_them()
    {
        var dir = Path.Combine(Dir, "d");
        var (code, stdout, _) = CliRunner.Run("data", "dyck", "--out", dir, "--train", "3000", "--per-split", "80", "--seed", "7", "--k", "6", "--max-depth", "5");
        Assert.Equal(0, code);
        Assert.Contains("unseen_depth", stdout);
        var m = Json.Load<DyckManifest>(Path.Combine(dir, "manifest.json"));
        Assert.Equal(7, m.Seed);
        foreach (var s in m.Splits)
        {
            var path = Path.Combine(dir, s.File);
            Assert.Equal(Sha256.OfFile(path), s.Sha256);
            var lines = File.ReadAllLines(path);
            Assert.Equal(s.Count, lines.Length);
            var recs = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(s.MinLength, recs.Min(r => r.GetProperty("length").GetInt32()));
            Assert.Equal(s.MaxDepth, recs.Max(r => r.GetProperty("max_depth").GetInt32()));
            Assert.All(recs, r => Assert.Equal(r.GetProperty("length").GetInt32(), r.GetProperty("tokens").GetArrayLength()));
        }
        var data = TaskDataLoader.Load(dir);
        Assert.Equal(3000, data.Splits["train"].Count);
        Assert.Equal(DyckSplits.Names, data.SplitNames);
        // validation only stops training: it is not an evaluation split, and it shares no string with train.
        Assert.DoesNotContain("validation", data.EvalSplits);
        Assert.Equal("validation", data.ValidationSplit);
        var trainSet = data.Splits["train"].Select(x => string.Join(",", x)).ToHashSet();
        Assert.DoesNotContain(data.Splits["validation"], x => trainSet.Contains(string.Join(",", x)));
        Assert.All(data.Splits["iid"], ids => { Assert.Equal(Vocabulary.StartId, ids[0]); Assert.Equal(Vocabulary.EndId, ids[^1]); });
        Assert.Empty(Directory.GetDirectories(Dir, ".*"));   // no staging leftovers
    }

    [Fact]
    public void Same_seed_same_bytes_different_seed_different_data()
    {
        string a = Path.Combine(Dir, "a"), b = Path.Combine(Dir, "b"), c = Path.Combine(Dir, "c");
        DyckData.Write(a, Small(3), DyckSplits.Build(Small(3)));
        DyckData.Write(b, Small(3), DyckSplits.Build(Small(3)));
        DyckData.Write(c, Small(4), DyckSplits.Build(Small(4)));
        foreach (var f in Directory.GetFiles(a).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f!)), File.ReadAllBytes(Path.Combine(b, f!)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "iid.jsonl")), File.ReadAllBytes(Path.Combine(c, "iid.jsonl")));
    }

    [Fact]
    public void A_split_that_cannot_be_filled_is_an_error_naming_it_not_a_hang()
    {
        // k = 1, depth 2: few short strings exist, and all of them are in a large train split.
        var c = new DyckConfig { K = 1, MaxDepth = 2, Train = 5000, PerSplit = 50, MaxLength = 8, ShortMaxLength = 6, MaxDrawsPerSplit = 100_000 };
        var e = Assert.Throws<UserError>(() => DyckSplits.Build(c));
        Assert.Contains("cannot be filled", e.Message);
        Assert.Matches("split (validation|iid|seen_structure|unseen_structure_short|unseen_structure_long)", e.Message);
    }

    [Theory]
    [InlineData("--k", "0", "k must be between 1 and 1000")]
    [InlineData("--max-depth", "1", "max_depth must be between 2 and 1000")]
    [InlineData("--train", "-5", "train must be >= 1")]
    public void Impossible_settings_exit_2_with_one_line_and_no_directory(string flag, string value, string expected)
    {
        var dir = Path.Combine(Dir, "bad");
        var (code, _, stderr) = CliRunner.Run("data", "dyck", "--out", dir, flag, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Unreadable_config_and_a_directory_holding_other_data_are_refused()
    {
        var cfg = Path.Combine(Dir, "c.json");
        File.WriteAllText(cfg, "{\"k\": \"many\"}");
        var (code, _, err) = CliRunner.Run("data", "dyck", "--out", Path.Combine(Dir, "x"), "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("c.json", err);
        Assert.Contains("k", err);

        var dir = Path.Combine(Dir, "d");
        Assert.Equal(0, CliRunner.Run("data", "dyck", "--out", dir, "--train", "500", "--per-split", "20", "--k", "6").Code);
        var before = File.ReadAllBytes(Path.Combine(dir, "train.jsonl"));
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, "train.jsonl"));
        var same = CliRunner.Run("data", "dyck", "--out", dir, "--train", "500", "--per-split", "20", "--k", "6");
        Assert.Equal(0, same.Code);
        Assert.Contains("already holds this dataset", same.Stdout);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(dir, "train.jsonl")));
        var other = CliRunner.Run("data", "dyck", "--out", dir, "--train", "600", "--per-split", "20", "--k", "6");
        Assert.Equal(2, other.Code);
        Assert.Contains("different dataset", other.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "train.jsonl")));
    }

    [Fact]
    public void Loader_rejects_corrupt_files_naming_file_and_line()
    {
        var dir = Path.Combine(Dir, "d");
        DyckData.Write(dir, Small(1), DyckSplits.Build(Small(1)));
        var iid = Path.Combine(dir, "iid.jsonl");
        var lines = File.ReadAllLines(iid);
        File.WriteAllLines(iid, lines.Take(2).Append("{\"tokens\": [\"(1\", \")2\"]}").Concat(lines.Skip(3)));
        Assert.Contains("sha256", Assert.Throws<UserError>(() => TaskDataLoader.Load(dir)).Message);
        // Fix the hash so the content check is reached.
        var mpath = Path.Combine(dir, "manifest.json");
        var m = Json.Load<DyckManifest>(mpath);
        Json.Save(mpath, m with { Splits = m.Splits.Select(s => s.Name == "iid" ? s with { Sha256 = Sha256.OfFile(iid) } : s).ToList() });
        var e = Assert.Throws<UserError>(() => TaskDataLoader.Load(dir));
        Assert.Contains("iid.jsonl line 3", e.Message);
        Assert.Contains("balanced", e.Message);
        var fresh = Path.Combine(Dir, "fresh");
        DyckData.Write(fresh, Small(1), DyckSplits.Build(Small(1)));
        File.Delete(Path.Combine(fresh, "unseen_depth.jsonl"));
        Assert.Contains("missing", Assert.Throws<UserError>(() => TaskDataLoader.Load(fresh)).Message);
        Assert.Contains("not a data directory", Assert.Throws<UserError>(() => TaskDataLoader.Load(Dir)).Message);
    }

    [Fact]
    public void Score_picks_closers_whose_opener_is_far_enough_with_depth_and_distance()
    {
        var task = new DyckTask(3, minDistance: 3);
        // (0 (1 )1 (2 )2 )0  -> START at 0; tokens at 1..6; END at 7
        var ids = task.Encode(new DyckSequence([1, 2, -2, 3, -3, -1]));
        var scored = new List<ScoredPosition>();
        task.Score(ids, scored);
        var only = Assert.Single(scored);       // only )0 is >= 3 positions from its opener
        Assert.Equal(5, only.Position);          // logits at position 5 predict token 6
        Assert.Equal(task.CloserId(0), only.Target);
        Assert.Equal(1, only.Depth);
        Assert.Equal(5, only.Distance);
        Assert.Equal(Enumerable.Range(6, 3), task.CandidateIds);
    }
}

public class TaskAccuracyTests
{
    [Fact]
    public void A_task_and_its_scoring_variant_from_one_pass_equal_each_evaluated_alone()
    {
        // The proxy stage scores the model under the task metric and its variants from one forward pass per batch;
        // that must give what separate passes give, breakdowns included.
        Mirage.Native.TorchRuntime.Init();
        TorchSharp.torch.manual_seed(4);
        var task = new DyckTask(3, minDistance: 3);
        using var model = new Mirage.Model.HookedTransformer(new Mirage.Model.ModelConfig { Layers = 1, Heads = 1, DModel = 16, DMlp = 32, ContextLength = 40, VocabSize = task.Vocabulary.Count });
        model.eval();
        var sampler = new DyckSampler(3, 4, 4, 30, new Random(2));
        var seqs = Enumerable.Range(0, 40).Select(_ => task.Encode(sampler.Next())).ToList();
        var tasks = new ISequenceTask[] { task, task.ScoringVariants.Single().Task };
        var together = Mirage.Evaluation.TaskAccuracy.Evaluate(model, tasks, "iid", seqs, batchSize: 7);
        for (int t = 0; t < tasks.Length; t++)
        {
            var alone = Mirage.Evaluation.TaskAccuracy.Evaluate(model, tasks[t], "iid", seqs, batchSize: 7);
            Assert.Equal(alone.Scored, together[t].Scored);
            Assert.Equal(alone.Correct, together[t].Correct);
            Assert.Equal(alone.ByDepth, together[t].ByDepth);
            Assert.Equal(alone.ByDistance, together[t].ByDistance);
        }
        Assert.True(together[1].Scored > together[0].Scored);   // the variant scores every closer, the task only far ones
    }

    [Fact]
    public void Several_scorings_rows_as_one_union_pick_out_each_scorings_logits()
    {
        Mirage.Native.TorchRuntime.Init();
        var sampler = new DyckSampler(3, 4, 4, 12, new Random(8));
        var near = new DyckTask(3, minDistance: 1);
        var far = new DyckTask(3, minDistance: 4);
        var seqs = Enumerable.Range(0, 6).Select(_ => near.Encode(sampler.Next())).ToArray();
        var idx = Enumerable.Range(0, seqs.Length).ToArray();
        var scorings = new[] { Mirage.Evaluation.ScoredBatch.Of(far, seqs, idx), Mirage.Evaluation.ScoredBatch.Of(near, seqs, idx) };
        var (input, _) = Mirage.Evaluation.Batches.Make(seqs);
        long t = input.shape[1];
        var (cut, within) = Mirage.Evaluation.ScoredBatch.UnionRows(scorings, input.shape[0], t);
        var union = Assert.IsType<TorchSharp.torch.Tensor>(cut);
        var flat = scorings.Select(sb => sb.FlatIndex(t).data<long>().ToArray()).ToArray();
        Assert.True(flat[0].Length > 0 && flat[0].Length < flat[1].Length);
        // The union: every row some scoring scores, once each, ascending — fewer than the batch's positions.
        Assert.Equal(flat.SelectMany(f => f).Distinct().Order(), union.data<long>().ToArray());
        Assert.True(union.shape[0] < input.shape[0] * t);
        // A pass's logits at the union's rows, then each scoring's place in them: that scoring's logits of a whole pass.
        using var logits = TorchSharp.torch.randn(input.shape[0], t, near.Vocabulary.Count, generator: new TorchSharp.torch.Generator(4));
        using var atUnion = Mirage.Evaluation.ScoredBatch.GatherFlat(logits, union);
        for (int s = 0; s < scorings.Length; s++)
            Assert.Equal(scorings[s].Gather(logits).data<float>().ToArray(), Mirage.Evaluation.ScoredBatch.GatherFlat(atUnion, within[s]).data<float>().ToArray());
        // Scorings that score more than three quarters of the positions leave little out: no cut (a whole pass), and
        // each scoring's own rows; at three quarters, a cut.
        static Mirage.Evaluation.ScoredBatch At(int[] row, int[] pos) => new()
        {
            Row = row, Pos = pos, Target = new int[row.Length], Depth = new int[row.Length], Distance = new int[row.Length],
            Category = new int[row.Length], Sequence = row, Length = new int[row.Length],
        };
        var (none, own) = Mirage.Evaluation.ScoredBatch.UnionRows([At([0, 0, 1, 1, 0], [0, 1, 0, 1, 1])], 2, 2);
        Assert.Null(none);
        Assert.Equal(new long[] { 0, 1, 2, 3, 1 }, own[0].data<long>().ToArray());
        var (three, _) = Mirage.Evaluation.ScoredBatch.UnionRows([At([0, 1], [1, 0]), At([1, 0], [0, 0])], 2, 2);
        Assert.Equal(new long[] { 0, 1, 2 }, Assert.IsType<TorchSharp.torch.Tensor>(three).data<long>().ToArray());
    }

    [Fact]
    public void Scored_logits_by_flat_index_equal_the_gathered_ones_and_predictions_take_the_best_candidate()
    {
        Mirage.Native.TorchRuntime.Init();
        var task = new DyckTask(3, minDistance: 1);
        var sampler = new DyckSampler(3, 4, 4, 12, new Random(6));
        var seqs = Enumerable.Range(0, 5).Select(_ => task.Encode(sampler.Next())).ToArray();
        var sb = Mirage.Evaluation.ScoredBatch.Of(task, seqs, Enumerable.Range(0, seqs.Length).ToArray());
        var (input, _) = Mirage.Evaluation.Batches.Make(seqs);
        using var logits = TorchSharp.torch.randn(input.shape[0], input.shape[1], task.Vocabulary.Count, generator: new TorchSharp.torch.Generator(3));
        using var flat = sb.FlatIndex(input.shape[1]);
        using var byFlat = Mirage.Evaluation.ScoredBatch.GatherFlat(logits, flat);
        // Each scored row is the logits at (row, position) of the [batch, pos, vocab] tensor, read here by hand.
        var all = logits.data<float>().ToArray();
        long t = input.shape[1];
        int vocab = task.Vocabulary.Count;
        var expected = Enumerable.Range(0, sb.Count).SelectMany(i => all.Skip((int)((sb.Row[i] * t + sb.Pos[i]) * vocab)).Take(vocab)).ToArray();
        Assert.Equal(expected, byFlat.data<float>().ToArray());
        using var gathered = sb.Gather(logits);
        Assert.Equal(expected, gathered.data<float>().ToArray());
        // Consecutive candidates (a view of the logits) and the same ids in another order (a copy) predict alike: the
        // best-scoring candidate, whatever the order the task lists them in.
        var consecutive = Mirage.Evaluation.ScoredBatch.Predict(byFlat, task.CandidateIds);
        var shuffled = Mirage.Evaluation.ScoredBatch.Predict(byFlat, task.CandidateIds.Reverse().ToArray());
        Assert.Equal(consecutive, shuffled);
        var rows = byFlat.to_type(TorchSharp.torch.ScalarType.Float64).data<double>().ToArray();
        int v = task.Vocabulary.Count;
        for (int i = 0; i < consecutive.Length; i++)
            Assert.Equal(task.CandidateIds.MaxBy(c => rows[i * v + c]), (int)consecutive[i]);
    }
}
