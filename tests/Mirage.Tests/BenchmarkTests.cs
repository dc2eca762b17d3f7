using Mirage.Benchmarks;
using Mirage.Model;
using Mirage.Native;
using TorchSharp;

namespace Mirage.Tests;

/// <summary>The benchmark's arithmetic (no timing is ever asserted: figures on a shared machine are not reproducible).</summary>
public class BenchmarkTests
{
    [Fact]
    public void Spread_is_the_median_and_range()
    {
        Assert.Equal(new Spread(3, 1, 9, 5), Spread.Of([9, 1, 3, 7, 2]));
        Assert.Equal(new Spread(2.5, 1, 4, 4), Spread.Of([4, 1, 2, 3]));   // even count: mean of the two middle values
        Assert.Equal(new Spread(5, 5, 5, 1), Spread.Of([5]));
        Assert.Equal(new Spread(6, 2, 18, 5), Spread.Of([9, 1, 3, 7, 2]).Times(2));
        Assert.Throws<ArgumentException>(() => Spread.Of([]));
    }

    [Fact]
    public void Model_flops_of_the_default_Dyck_model_match_a_hand_count()
    {
        var c = new ModelConfig { VocabSize = 43, ContextLength = 64 };   // 2 layers, 1 head, d_model 128, d_mlp 512
        // Per layer: qkv 128·384 + out 128·128 + MLP 2·128·512 = 49,152 + 16,384 + 131,072 = 196,608; two layers
        // 393,216; unembedding 128·43 = 5,504.
        Assert.Equal(398_720, ModelFlops.MatmulParameters(c));
        // Forward at T = 63: 2 · 398,720 + attention 2 layers · (q·kᵀ 2·63·128 + pattern·v 2·63·128) = 797,440 + 64,512.
        Assert.Equal(861_952, ModelFlops.ForwardPerToken(c, 63));
        Assert.Equal(3 * 861_952, ModelFlops.TrainingPerToken(c, 63));
        // Four heads of 32: the same products, the same count.
        Assert.Equal(861_952, ModelFlops.ForwardPerToken(c with { Heads = 4 }, 63));
    }

    [Fact]
    public void Model_flops_count_the_attention_width_not_d_model()
    {
        // d_head set apart from d_model: 2 heads of 16 in a d_model 64 model, so the attention width is 32.
        var c = new ModelConfig { Layers = 1, Heads = 2, DModel = 64, DHead = 16, DMlp = 256, VocabSize = 10, ContextLength = 20 };
        long p = 64 * 96 + 32 * 64 + 2 * 64 * 256 + 64 * 10;
        Assert.Equal(p, ModelFlops.MatmulParameters(c));
        Assert.Equal(2.0 * p + 4 * 1 * 20 * 32, ModelFlops.ForwardPerToken(c, 20));
    }

    [Fact]
    public void The_bf16_forward_pass_is_the_models_computation_at_bf16_precision()
    {
        TorchRuntime.Init();
        using var gen = new torch.Generator(3);
        using var model = new HookedTransformer(new ModelConfig { Layers = 2, Heads = 2, DModel = 64, DMlp = 128, VocabSize = 12, ContextLength = 16 }, gen);
        model.eval();
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var tokens = torch.randint(1, 12, [4, 16], dtype: torch.ScalarType.Int64, generator: gen);
        var plain = model.forward(tokens);
        var bare = TrainBenchmark.BareForward(model, tokens);
        var bf16 = TrainBenchmark.BareForward(model, tokens, bf16: true);
        Assert.Equal(torch.ScalarType.Float32, bf16.dtype);
        // Without hook sites, the same computation: equal up to fp32 rounding.
        Assert.True(bare.allclose(plain, rtol: 1e-5, atol: 1e-5));
        // In bf16 (8 significant bits) it differs, but only by bf16's rounding: the logits are of order 1.
        double diff = (bf16 - plain).abs().max().item<float>(), scale = plain.abs().max().item<float>();
        Assert.True(diff > 1e-4, $"bf16 logits equal the fp32 ones to {diff}: the products did not run in bf16");
        Assert.True(diff < 0.05 * scale, $"bf16 logits differ by {diff} (largest logit {scale})");
    }

    [Fact]
    public void A_tiny_bench_run_reports_the_optimizer_share_and_bf16_training()
    {
        var tiny = new TrainBenchConfig(Layers: 1, Heads: 2, DModel: 16, DMlp: 32, Vocab: 11, SeqLen: 8, Batch: 4, Steps: 2, Warmup: 1);
        var run = TrainBenchmark.Run([tiny], new TrainBenchOptions(Reps: 5, Threads: 1));
        var r = Assert.Single(run.Results);
        Assert.Equal(5, r.OptimizerShare.Count);
        Assert.InRange(r.OptimizerShare.Min, 1e-6, 1);   // the update takes some, never all, of a step
        Assert.True(r.Bf16Train.Min > 0);
        Assert.Equal(5, r.Bf16VsFp32.Count);
        Assert.True(double.IsFinite(r.Bf16VsFp32.Median) && r.Bf16VsFp32.Min > 0);
    }
    const string Epyc = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n" +
                        "flags\t\t: fpu sse2 avx2 fma avx512f avx512bw avx512_bf16 avx512_vnni\n\n" +
                        "processor\t: 1\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nflags\t\t: fpu\n";

    [Fact]
    public void The_cpu_is_named_by_its_family_and_model_and_the_vector_extensions_that_choose_kernels()
    {
        var cpu = CpuInfo.Parse(Epyc)!;
        // The first processor's fields; the processors counted; the kernel-choosing flags in a fixed order.
        Assert.Equal(new[] { "avx2", "avx512f", "avx512_vnni", "avx512_bf16" }, cpu.VectorFlags);
        Assert.Equal("AMD EPYC (Zen 4, family 25 model 17), 2 logical CPUs, avx2 avx512f avx512_vnni avx512_bf16", cpu.ToString());
        // The generations AMD's family/model numbers name; none for other vendors.
        Assert.Equal("Zen 5", CpuInfo.Parse(Epyc.Replace("family\t: 25", "family\t: 26"))!.Generation);
        Assert.Equal("Zen 3", CpuInfo.Parse(Epyc.Replace("model\t\t: 17", "model\t\t: 1"))!.Generation);
        var intel = CpuInfo.Parse(Epyc.Replace("AuthenticAMD", "GenuineIntel").Replace("cpu family\t: 25", "cpu family\t: 6"))!;
        Assert.Null(intel.Generation);
        Assert.StartsWith("AMD EPYC (family 6 model 17), 2 logical CPUs", intel.ToString());
        Assert.Null(CpuInfo.Parse("no processors here\n"));
    }

    [Fact]
    public void Bench_train_names_the_cpu_and_fits_80_columns()
    {
        // Through the CLI, as a user runs it, with output to a pipe (where the tables are laid out for 80 columns). The
        // smallest run the flags allow: one head, one step per repetition, a tiny peak, no real batches, no PyTorch.
        // It writes no file.
        var (code, stdout, stderr) = CliProcess.Run(Path.GetTempPath(), ["bench", "train", "--heads", "1", "--steps", "1", "--peak-sizes", "64", "--no-real-batches", "--no-pytorch", "--threads", "1"]);
        Assert.True(code == 0, stderr + stdout);
        var lines = stdout.Split('\n');
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"{l.TrimEnd().Length} columns: {l}"));
        var expected = CpuInfo.Read();
        if (expected is not null) Assert.Contains($"CPU: {expected.ModelName}", stdout.Replace("\n", " "));
        Assert.Contains("MFU", stdout);
        Assert.Contains("Training, batch 128", stdout);
    }
}
