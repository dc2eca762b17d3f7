using Mirage.Model;
using Mirage.Training;

namespace Mirage.Tests;

public class TrainingTests : TempDirectoryTests
{
    static readonly ModelConfig Tiny = new() { Layers = 1, Heads = 2, DModel = 16, DMlp = 32, ContextLength = 40 };
    static readonly TrainConfig Short = new() { Steps = 24, BatchSize = 16, WarmupSteps = 4, EvalEvery = 8, EvalSequences = 20, CheckpointEvery = 8, TargetAccuracy = 0, LengthBucketBatches = 2, LearningRate = 3e-3 };

    static byte[] Weights(string run) => File.ReadAllBytes(Path.Combine(Checkpoint.Dir(run), Checkpoint.ModelFile));

    [Fact]
    public void Interrupted_and_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        var data = ToyTask.Data();
        string a = Path.Combine(Dir, "a"), b = Path.Combine(Dir, "b");
        var full = new Trainer(data, Tiny, Short, a).Train();
        Assert.Equal("step_budget", full.StopReason);
        Assert.Equal(24, full.Step);

        var first = new Trainer(data, Tiny, Short, b) { StopAfterStep = 13 }.Train();   // between checkpoints
        Assert.Equal("interrupted", first.StopReason);
        Assert.NotEqual(Weights(a), Weights(b));
        var second = new Trainer(data, Tiny, Short, b).Train();
        Assert.True(second.Resumed);
        Assert.Equal(24, second.Step);
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Checkpoint.Dir(a), Checkpoint.OptimizerFile)), File.ReadAllBytes(Path.Combine(Checkpoint.Dir(b), Checkpoint.OptimizerFile)));
        // The loss curve has one row per step, none duplicated by the resume.
        var steps = File.ReadLines(Path.Combine(b, "loss.csv")).Skip(1).Select(l => int.Parse(l.Split(',')[0])).ToList();
        Assert.Equal(Enumerable.Range(1, 24), steps);
    }

    [Fact]
    public void A_weight_averaged_run_saves_the_average_and_resumes_bit_identical()
    {
        var data = ToyTask.Data();
        var ema = Short with { EmaDecay = 0.9 };
        string a = Path.Combine(Dir, "ema-a"), b = Path.Combine(Dir, "ema-b"), raw = Path.Combine(Dir, "ema-raw");
        new Trainer(data, Tiny, ema, a).Train();
        new Trainer(data, Tiny, ema, b) { StopAfterStep = 13 }.Train();
        new Trainer(data, Tiny, ema, b).Train();
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Checkpoint.Dir(a), Checkpoint.OptimizerFile)), File.ReadAllBytes(Path.Combine(Checkpoint.Dir(b), Checkpoint.OptimizerFile)));
        // The average trains nothing: the raw weights in the optimizer state are those of a run without it, and the
        // saved model is their average, not the raw weights.
        new Trainer(data, Tiny, Short, raw).Train();
        var (rawTensors, _) = Safetensors.Load(Path.Combine(Checkpoint.Dir(a), Checkpoint.OptimizerFile));
        var (model, _) = Checkpoint.LoadModel(raw);
        using (model)
            foreach (var (name, p) in model.named_parameters())
                Assert.True(rawTensors["param." + name].equal(p).all().item<bool>(), $"raw weight {name} differs from a run without averaging");
        Assert.NotEqual(Weights(raw), Weights(a));
        foreach (var t in rawTensors.Values) t.Dispose();
    }

    [Fact]
    public void Training_lowers_the_loss_and_a_finished_run_is_not_retrained()
    {
        var data = ToyTask.Data();
        var run = Path.Combine(Dir, "r");
        new Trainer(data, Tiny, Short with { Steps = 60 }, run).Train();
        var losses = File.ReadLines(Path.Combine(run, "loss.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(losses.TakeLast(5).Average() < losses.Take(5).Average() - 0.3, $"loss went from {losses.Take(5).Average():F3} to {losses.TakeLast(5).Average():F3}");
        var before = Weights(run);
        var again = new Trainer(data, Tiny, Short with { Steps = 60 }, run).Train();
        Assert.True(again.AlreadyFinished);
        Assert.Equal(before, Weights(run));
    }

    [Fact]
    public void Same_seed_gives_bit_identical_weights_and_a_different_seed_does_not()
    {
        var data = ToyTask.Data();
        string a = Path.Combine(Dir, "s1"), b = Path.Combine(Dir, "s2"), c = Path.Combine(Dir, "s3");
        new Trainer(data, Tiny, Short with { Steps = 8 }, a).Train();
        new Trainer(data, Tiny, Short with { Steps = 8 }, b).Train();
        new Trainer(data, Tiny, Short with { Steps = 8, Seed = 1 }, c).Train();
        Assert.Equal(Weights(a), Weights(b));
        Assert.NotEqual(Weights(a), Weights(c));
    }

    [Fact]
    public void Initial_weights_come_from_the_runs_own_generator_not_torchs_shared_one()
    {
        Mirage.Native.TorchRuntime.Init();
        var cfg = Tiny with { VocabSize = 7 };
        float[] Init(ulong seed)
        {
            using var g = new TorchSharp.torch.Generator(seed);
            using var m = new HookedTransformer(cfg, g);
            return m.ToTransformerLensStateDict()["blocks.0.attn.W_Q"].data<float>().ToArray();
        }
        var a = Init(5);
        using (TorchSharp.torch.randn(1000)) { }   // another thread's draw from the shared generator, say
        Assert.Equal(a, Init(5));
        Assert.NotEqual(a, Init(6));
    }

    [Fact]
    public void Resuming_with_different_settings_or_data_is_refused_and_leaves_the_checkpoint()
    {
        var data = ToyTask.Data();
        var run = Path.Combine(Dir, "m");
        new Trainer(data, Tiny, Short with { Steps = 8 }, run).Train();
        var before = Weights(run);
        var e = Assert.Throws<UserError>(() => new Trainer(data, Tiny with { DModel = 32 }, Short with { Steps = 8 }, run).Train());
        Assert.Contains("model.d_model", e.Message);
        e = Assert.Throws<UserError>(() => new Trainer(data, Tiny, Short with { Steps = 9 }, run).Train());
        Assert.Contains("training.steps", e.Message);
        e = Assert.Throws<UserError>(() => new Trainer(ToyTask.Data(seed: 2), Tiny, Short with { Steps = 8 }, run).Train());
        Assert.Contains("different data", e.Message);
        Assert.Equal(before, Weights(run));
    }

    [Fact]
    public void Nan_loss_is_a_clear_error_and_keeps_the_last_checkpoint()
    {
        var data = ToyTask.Data();
        var run = Path.Combine(Dir, "nan");
        var e = Assert.Throws<UserError>(() => new Trainer(data, Tiny, Short with { LearningRate = 1e30, WarmupSteps = 0, GradClip = 0 }, run).Train());
        Assert.Contains("diverged", e.Message);
        Assert.False(Checkpoint.Exists(run));
    }

    [Fact]
    public void Lr_schedule_warms_up_then_decays_along_a_cosine()
    {
        var c = new TrainConfig { Steps = 100, WarmupSteps = 10, LearningRate = 1.0, MinLrRatio = 0.1 };
        Assert.Equal(0.1, LrSchedule.At(0, c), 12);
        Assert.Equal(1.0, LrSchedule.At(9, c), 12);
        Assert.Equal(1.0, LrSchedule.At(10, c), 12);
        Assert.Equal(0.55, LrSchedule.At(55, c), 12);
        Assert.Equal(0.1, LrSchedule.At(100, c), 12);
    }

    [Fact]
    public void Batch_order_is_a_function_of_seed_and_step_covers_an_epoch_and_groups_lengths()
    {
        var lengths = Enumerable.Range(0, 100).Select(i => (i * 37) % 23 + 3).ToArray();
        var a = new BatchOrder(lengths, 10, 5, seed: 3);
        var b = new BatchOrder(lengths, 10, 5, seed: 3);
        Assert.Equal(a.Batch(17), b.Batch(17));
        Assert.Equal(a.Batch(3), new BatchOrder(lengths, 10, 5, seed: 3).Batch(3));
        Assert.NotEqual(a.Batch(0), new BatchOrder(lengths, 10, 5, seed: 4).Batch(0));
        var epoch = Enumerable.Range(0, 10).SelectMany(s => a.Batch(s)).Order();
        Assert.Equal(Enumerable.Range(0, 100), epoch);
        // Length bucketing: a batch spans a narrower range of lengths than the data.
        Assert.True(Enumerable.Range(0, 10).Average(s => a.Batch(s).Max(i => lengths[i]) - a.Batch(s).Min(i => lengths[i])) < 15);
    }

    [Fact]
    public void A_config_section_replaces_only_the_fields_it_names_and_keeps_the_tasks_defaults()
    {
        var path = Path.Combine(Dir, "train.json");
        File.WriteAllText(path, """{"training": {"steps": 123, "learning_rate": 0.002}}""");
        var doc = Mirage.IO.Json.LoadConfigDocument<Mirage.Cli.Commands.TrainCommand.TrainFile>(path, "training config");
        var t = Mirage.IO.Json.Overlay(TrainingDefaults.Dyck, doc, "training", path);
        Assert.Equal(TrainingDefaults.Dyck with { Steps = 123, LearningRate = 0.002 }, t);
        Assert.NotEqual(new TrainConfig().EmaDecay, t.EmaDecay);   // the task's default, not the record's
        // A section the file does not have leaves the defaults as they are.
        Assert.Equal(new ModelConfig { Layers = 3 }, Mirage.IO.Json.Overlay(new ModelConfig { Layers = 3 }, doc, "model", path));
    }

    [Fact]
    public void A_run_written_before_timing_csv_had_padded_length_and_step_s_resumes_with_its_rows_and_those_read_as_0()
    {
        var run = Path.Combine(Dir, "old");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, LossLog.LossFile), "step,lr,loss,val_accuracy\n1,0.001,3.5,\n2,0.002,3.25,0.5\n3,0.003,3,\n");
        File.WriteAllText(Path.Combine(run, LossLog.TimingFile), "step,tokens_per_s,elapsed_s\n1,1000,0.50\n2,1100,0.90\n3,1200,1.30\n");
        var log = new LossLog(run);
        log.LoadUpTo(2);
        Assert.Equal([1L, 2L], log.Rows.Select(r => r.Step));
        Assert.Equal(1100, log.Rows[1].TokensPerSecond);
        Assert.Equal(0.90, log.Rows[1].ElapsedSeconds);
        Assert.All(log.Rows, r => Assert.Equal((0, 0.0), (r.PaddedLength, r.StepSeconds)));
        log.Add(new TrainStep(3, 0.003, 3, null, 1300, 1.5, PaddedLength: 17, StepSeconds: 0.25, Tokens: 2000));
        log.Save();
        Assert.Equal(["step,tokens_per_s,elapsed_s,padded_length,step_s,tokens", "1,1000,0.50,0,0.0000,0", "2,1100,0.90,0,0.0000,0", "3,1300,1.50,17,0.2500,2000"],
            File.ReadLines(Path.Combine(run, LossLog.TimingFile)));
        // And the new format reads back as written.
        var again = new LossLog(run);
        again.LoadUpTo(3);
        Assert.Equal((17, 0.25, 2000L), (again.Rows[2].PaddedLength, again.Rows[2].StepSeconds, again.Rows[2].Tokens));
        // A run written with five columns (before tokens) reads them, and tokens as 0.
        File.WriteAllText(Path.Combine(run, LossLog.TimingFile), "step,tokens_per_s,elapsed_s,padded_length,step_s\n1,1000,0.50,9,0.1000\n2,1100,0.90,11,0.1200\n3,1200,1.30,13,0.1300\n");
        var five = new LossLog(run);
        five.LoadUpTo(3);
        Assert.Equal([(9, 0L), (11, 0L), (13, 0L)], five.Rows.Select(r => (r.PaddedLength, r.Tokens)));
    }
}
