using System.Diagnostics;
using Mirage.Model;
using Mirage.Native;
using Mirage.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Benchmarks;

/// <summary>Settings of <c>mirage bench train</c>; the same names as the flags of bench/torch_reference.py, the PyTorch reference.</summary>
public sealed record TrainBenchConfig(int Layers = 2, int Heads = 1, int DModel = 128, int DMlp = 512, int Vocab = 43, int SeqLen = 64,
    int Batch = 128, int Steps = 50, int Warmup = 5, int Seed = 0);

/// <summary>What one measurement gives (printed as a table, or as JSON for a parent process).</summary>
public sealed record TrainBenchResult(TrainBenchConfig Config, bool MklShim, int Threads, double TrainTokensPerS, double InferTokensPerS,
    double BareInferTokensPerS, double HookSitesOverhead, double RssAfterWarmupMb, double RssHalfwayMb, double RssAfterTrainingMb, double PeakRssMb);

/// <summary>
/// Training and inference throughput of the HookedTransformer on random tokens, timed like torch_reference.py
/// (warm-up steps, then N timed steps; AdamW; cross-entropy on next tokens). Also times a forward pass written
/// without any hook sites over the same weights, so the cost of having hook sites is measured, not assumed.
/// </summary>
public static class TrainBenchmark
{
    public static TrainBenchResult Run(TrainBenchConfig c)
    {
        TorchRuntime.Init();
        torch.manual_seed(c.Seed);
        var cfg = new ModelConfig { Layers = c.Layers, Heads = c.Heads, DModel = c.DModel, DMlp = c.DMlp, VocabSize = c.Vocab, ContextLength = c.SeqLen };
        using var model = new HookedTransformer(cfg);
        var tc = new TrainConfig();
        using var opt = new AdamW(model.named_parameters(), tc);
        using var tokens = torch.randint(0, c.Vocab, [c.Batch, c.SeqLen], dtype: ScalarType.Int64);
        using var input = tokens[.., ..^1].contiguous();
        using var target = tokens[.., 1..].contiguous();

        void TrainStep()
        {
            using var scope = torch.NewDisposeScope();
            var logits = model.forward(input);
            var loss = torch.nn.functional.cross_entropy(logits.reshape(-1, c.Vocab), target.reshape(-1));
            opt.ZeroGrad();
            loss.backward();
            opt.Step(1e-3);
        }
        double Time(Action step, Action? halfway = null)
        {
            for (int i = 0; i < c.Warmup; i++) step();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < c.Steps; i++)
            {
                step();
                if (i == c.Steps / 2 && halfway is not null) { sw.Stop(); halfway(); sw.Start(); }
            }
            return sw.Elapsed.TotalSeconds;
        }

        model.train();
        for (int i = 0; i < c.Warmup; i++) TrainStep();
        double rssWarm = ProcessMemory.RssMb, rssHalf = 0;
        double trainS = Time(TrainStep, () => rssHalf = ProcessMemory.RssMb);
        // Flat memory = RSS at the end of the timed steps equal to RSS halfway through them (every step runs in a
        // dispose scope; the allocator settles during the first steps, so compare halfway with the end, not warm-up).
        double rssTrained = ProcessMemory.RssMb;
        model.eval();
        double inferS, bareS;
        using (torch.no_grad())
        {
            inferS = Time(() => { using var s = torch.NewDisposeScope(); model.forward(tokens); });
            bareS = Time(() => { using var s = torch.NewDisposeScope(); BareForward(model, tokens); });
        }
        return new TrainBenchResult(c, TorchRuntime.MklShimLoaded, torch.get_num_threads(),
            (double)c.Batch * (c.SeqLen - 1) * c.Steps / trainS, (double)c.Batch * c.SeqLen * c.Steps / inferS,
            (double)c.Batch * c.SeqLen * c.Steps / bareS, inferS / bareS - 1, rssWarm, rssHalf, rssTrained, ProcessMemory.PeakRssMb);
    }

    /// <summary>The same computation as HookedTransformer.forward, written with no hook sites at all (the baseline).</summary>
    static Tensor BareForward(HookedTransformer m, Tensor tokens)
    {
        var c = m.Config;
        long b = tokens.shape[0], t = tokens.shape[1];
        var x = m.embed.forward(tokens) + m.pos_embed[..(int)t];
        using var mask = torch.ones(t, t, ScalarType.Bool).triu(1);
        foreach (var blk in m.blocks)
        {
            var h = blk.ln1.forward(x);
            var qkv = blk.attn.qkv.forward(h).view(b, t, 3, c.Heads, c.HeadDim);
            var q = qkv.select(2, 0).transpose(1, 2); var k = qkv.select(2, 1).permute(0, 2, 3, 1); var v = qkv.select(2, 2).transpose(1, 2);
            using Scalar scale = (1.0 / Math.Sqrt(c.HeadDim)).ToScalar(), future = double.NegativeInfinity.ToScalar();   // explicit: ScalarLifetimeTests
            var pattern = torch.matmul(q, k).mul_(scale).masked_fill_(mask, future).softmax(-1);
            var z = torch.matmul(pattern, v).transpose(1, 2).reshape(b, t, c.Heads * c.HeadDim);
            x = x + blk.attn.out_proj.forward(z);
            x = x + blk.mlp.fc_out.forward(torch.nn.functional.gelu(blk.mlp.fc_in.forward(blk.ln2.forward(x))));
        }
        return m.unembed.forward(m.ln_final.forward(x));
    }
}
