using System.Diagnostics;
using System.Text.Json;

namespace Mirage.Tests;

/// <summary>
/// Same command, same bytes — across processes. Every run here is a separate `mirage` process (.NET randomises hash
/// seeds per process, so a within-process comparison would not catch a HashCode reaching a result).
/// <para>
/// The fault these tests caught until VectorMath — MKL's vector maths now and then getting a process's first optimizer
/// step wrong (docs/reproducibility.md) — showed mostly when the machine was busy. They run alone, not beside the other
/// test classes, so that a failure here points at the code rather than the load; scripts/repeat-train.sh trains the
/// same tiny model many times beside busy loops on purpose.
/// </para>
/// </summary>
[Collection(AloneCollection.Name)]
public class DeterminismTests : TempDirectoryTests
{
    const string DataConfig = """{"k": 4, "max_depth": 4, "max_length": 40, "short_max_length": 20, "train": 1000, "per_split": 40, "min_distance": 2}""";

    static string TrainConfig(int steps, int checkpointEvery, int evalEvery) => """
        {"model": {"layers": 1, "heads": 1, "d_model": 16, "d_mlp": 32, "context_length": 41},
         "training": {"steps": STEPS, "batch_size": 16, "warmup_steps": 5, "eval_every": EVAL, "eval_sequences": 40,
                      "checkpoint_every": CKPT, "target_accuracy": 0, "length_bucket_batches": 2, "learning_rate": 0.003}}
        """.Replace("STEPS", steps.ToString()).Replace("EVAL", evalEvery.ToString()).Replace("CKPT", checkpointEvery.ToString());

    void Ok(params string[] args)
    {
        var (code, stdout, stderr) = CliProcess.Run(Dir, args);
        Assert.True(code == 0, $"mirage {string.Join(' ', args)} exited {code}: {stderr}{stdout}");
    }

    void MakeData()
    {
        File.WriteAllText(Path.Combine(Dir, "data.json"), DataConfig);
        Ok("data", "dyck", "--out", "d", "--config", "data.json");
    }

    byte[] Bytes(string relative) => File.ReadAllBytes(Path.Combine(Dir, relative));

    void AssertSameRun(string a, string b)
    {
        foreach (var f in new[] { "checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/checkpoint.json", "loss.csv" })
            Assert.True(Bytes($"{a}/{f}").SequenceEqual(Bytes($"{b}/{f}")), $"{a}/{f} and {b}/{f} differ");
    }

    [Fact]
    public void Two_train_processes_with_one_seed_write_identical_weights_optimizer_state_and_loss_curve()
    {
        MakeData();
        File.WriteAllText(Path.Combine(Dir, "train.json"), TrainConfig(steps: 30, checkpointEvery: 10, evalEvery: 10));
        Ok("train", "--data", "d", "--out", "a", "--config", "train.json", "--seed", "3", "--quiet");
        Ok("train", "--data", "d", "--out", "b", "--config", "train.json", "--seed", "3", "--quiet");
        Ok("train", "--data", "d", "--out", "c", "--config", "train.json", "--seed", "4", "--quiet");
        AssertSameRun("a", "b");
        Assert.False(Bytes("a/checkpoint/model.safetensors").SequenceEqual(Bytes("c/checkpoint/model.safetensors")), "another seed gave the same weights");
        // The wall-clock figures live in their own file; loss.csv holds only what the seed determines.
        Assert.Equal("step,lr,loss,val_accuracy", File.ReadLines(Path.Combine(Dir, "a", "loss.csv")).First());
        Assert.Equal("step,tokens_per_s,elapsed_s,padded_length,step_s,tokens", File.ReadLines(Path.Combine(Dir, "a", "timing.csv")).First());
        // Each step's padded length is the seed's batch order (the same in both runs, and not one length for all:
        // the batches are length-bucketed); its step time is part of the elapsed time.
        var (a, b) = (TimingRows("a"), TimingRows("b"));
        Assert.Equal(30, a.Length);
        Assert.Equal(a.Select(r => r.Padded), b.Select(r => r.Padded));
        // Its predicted tokens too: at least one a sequence, at most every padded position of the batch (fewer when it
        // is padded), the same in both runs.
        Assert.Equal(a.Select(r => r.Tokens), b.Select(r => r.Tokens));
        var batch = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "train.json"))).RootElement.GetProperty("training").GetProperty("batch_size").GetInt32();
        Assert.All(a, r => Assert.InRange(r.Tokens, batch, (long)batch * r.Padded));
        Assert.Contains(a, r => r.Tokens < (long)batch * r.Padded);
        Assert.All(a, r => Assert.InRange(r.Padded, 2, 41));
        Assert.True(a.Select(r => r.Padded).Distinct().Count() > 1, "every batch had the same padded length");
        Assert.All(a, r => Assert.True(r.StepS > 0, $"step {r.Step}: step_s {r.StepS}"));
        Assert.True(a.Sum(r => r.StepS) <= a[^1].Elapsed + 0.01, "the steps' times add up to more than the elapsed time");
        // The run records its thread count (results are defined for one).
        using var info = JsonDocument.Parse(Bytes("a/checkpoint/checkpoint.json"));
        Assert.Equal(2, info.RootElement.GetProperty("training").GetProperty("threads").GetInt32());
    }

    [Fact]
    public void A_train_process_killed_after_its_first_checkpoint_and_rerun_ends_identical_to_an_uninterrupted_one()
    {
        MakeData();
        File.WriteAllText(Path.Combine(Dir, "train.json"), TrainConfig(steps: 1500, checkpointEvery: 100, evalEvery: 500));
        string[] Args(string run) => ["train", "--data", "d", "--out", run, "--config", "train.json", "--quiet"];
        Ok(Args("whole"));
        var info = Path.Combine(Dir, "killed", "checkpoint", "checkpoint.json");
        using (var p = Process.Start(CliProcess.StartInfo(Dir, Args("killed")))!)
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(info) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(10);
            Assert.False(p.HasExited, "training finished before it could be killed; give it more steps");
            p.Kill(entireProcessTree: true);   // SIGKILL: no handler runs, nothing is flushed
            p.WaitForExit();
        }
        using (var doc = JsonDocument.Parse(File.ReadAllText(info)))
        {
            Assert.True(doc.RootElement.GetProperty("step").GetInt64() < 1500, "the killed run had already finished");
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("stop_reason").ValueKind);
        }
        Ok(Args("killed"));
        // The rows kept from before the kill keep their padded lengths: the resumed run's column equals the whole run's.
        Assert.Equal(TimingRows("whole").Select(r => r.Padded), TimingRows("killed").Select(r => r.Padded));
        AssertSameRun("whole", "killed");
    }

    (long Step, double Elapsed, int Padded, double StepS, long Tokens)[] TimingRows(string run) =>
        File.ReadLines(Path.Combine(Dir, run, "timing.csv")).Skip(1).Select(l => l.Split(','))
            .Select(f => (long.Parse(f[0]), double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(f[3]),
                double.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture), long.Parse(f[5]))).ToArray();
}
