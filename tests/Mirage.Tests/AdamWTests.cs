using Mirage.Model;
using Mirage.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Tests;

public class AdamWTests
{
    // Small enough that every tensor and the flat buffers stay under libtorch's grain size (one thread, whatever the
    // thread count another test sets meanwhile); a vocabulary of 11 gives an unembedding bias that cannot join them.
    static readonly ModelConfig Cfg = new() { Layers = 2, Heads = 2, DModel = 32, DMlp = 64, ContextLength = 20, VocabSize = 11 };
    static readonly TrainConfig Config = new() { LearningRate = 3e-3, WeightDecay = 0.1 };

    [Fact]
    public void The_flat_update_gives_every_parameter_and_moment_the_bits_of_the_update_one_tensor_at_a_time()
    {
        Mirage.Native.TorchRuntime.Init();
        using var g1 = new torch.Generator(3);
        using var g2 = new torch.Generator(3);
        using var flatModel = new HookedTransformer(Cfg, g1);
        using var refModel = new HookedTransformer(Cfg, g2);
        using var opt = new AdamW(flatModel.named_parameters(), Config);
        var reference = new ReferenceAdamW(refModel.named_parameters().ToArray(), Config);
        Assert.True(opt.FlatParameterCount >= 20, $"only {opt.FlatParameterCount} parameters in the flat buffers");
        Assert.True(opt.FlatParameterCount < refModel.parameters().Count(), "the 11-entry bias should stay outside the flat buffers");

        var flatParams = flatModel.parameters().ToArray();
        using var data = new torch.Generator(9);
        for (int step = 1; step <= 12; step++)
        {
            using var scope = torch.NewDisposeScope();
            var tokens = torch.randint(0, Cfg.VocabSize, [8, 17], generator: data);
            var (input, target) = (tokens[.., ..16], tokens[.., 1..]);
            double lr = Config.LearningRate * step / 12;
            GradientStep.Compute(flatModel, opt, flatParams, input, target, gradClip: 1.0);
            opt.Step(lr);
            reference.Step(refModel, input, target, lr);
        }

        var flatState = opt.StateTensors();
        foreach (var ((name, p), (_, q)) in flatModel.named_parameters().Zip(refModel.named_parameters()))
        {
            Assert.True(Bits(p).SequenceEqual(Bits(q)), $"{name} differs from the update one tensor at a time");
            Assert.True(Bits(flatState["exp_avg." + name]).SequenceEqual(Bits(reference.Moments[name].M)), $"exp_avg.{name} differs");
            Assert.True(Bits(flatState["exp_avg_sq." + name]).SequenceEqual(Bits(reference.Moments[name].V)), $"exp_avg_sq.{name} differs");
        }
    }

    static int[] Bits(Tensor t) => t.detach().contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData(43, 2, false)]         // Dyck's unembedding bias: a scalar tail
    [InlineData(16_384, 2, true)]      // one thread's chunk
    [InlineData(49_152, 2, true)]      // two chunks of 24,576
    [InlineData(49_152, 3, true)]      // still two: 49,152 floats make two grains
    [InlineData(98_336, 3, false)]     // three chunks of 32,779 (the last shorter): tails
    public void A_tensor_joins_the_flat_buffers_only_if_every_thread_chunk_is_whole_vectors(long n, int threads, bool joins) =>
        Assert.Equal(joins, FlatParameters.AllVectorised(n, threads));

    [Theory]
    [InlineData(400_000L, 2)]
    [InlineData(400_001L, 3)]
    [InlineData(5_504L, 4)]
    public void A_padded_buffer_splits_into_whole_vectors(long n, int threads)
    {
        long m = FlatParameters.Padded(n, threads);
        Assert.InRange(m, n, n + 32L * threads * 2);
        Assert.True(FlatParameters.AllVectorised(m, threads));
    }

    /// <summary>torch.optim.AdamW's update written out tensor by tensor (decay on matrices only), after the same step as the trainer's.</summary>
    sealed class ReferenceAdamW((string Name, TorchSharp.Modules.Parameter P)[] ps, TrainConfig c)
    {
        public Dictionary<string, (Tensor M, Tensor V)> Moments { get; } = ps.ToDictionary(np => np.Name, np => (torch.zeros_like(np.P), torch.zeros_like(np.P)));
        int _t;

        public void Step(HookedTransformer model, Tensor input, Tensor target, double lr)
        {
            var logits = model.forward(input);
            var loss = torch.nn.functional.cross_entropy(logits.reshape(-1, Cfg.VocabSize), target.reshape(-1), ignore_index: Tasks.Vocabulary.PadId);
            foreach (var (_, p) in ps) p.grad?.zero_();
            loss.backward();
            torch.nn.utils.clip_grad_norm_(ps.Select(np => np.P).ToArray(), 1.0);
            using var _ = torch.no_grad();
            _t++;
            double bc1 = 1 - Math.Pow(c.Beta1, _t), bc2 = 1 - Math.Pow(c.Beta2, _t);
            using Scalar decay = (1 - lr * c.WeightDecay).ToScalar(), b1 = c.Beta1.ToScalar(), a1 = (1 - c.Beta1).ToScalar(), b2 = c.Beta2.ToScalar(),
                a2 = (1 - c.Beta2).ToScalar(), s2 = Math.Sqrt(bc2).ToScalar(), eps = c.Eps.ToScalar(), step = (-lr / bc1).ToScalar();
            foreach (var (name, p) in ps)
            {
                var g = p.grad!;
                var (m, v) = Moments[name];
                if (p.dim() >= 2) p.mul_(decay);
                m.mul_(b1).add_(g, alpha: a1);
                v.mul_(b2).addcmul_(g, g, value: a2);
                p.addcdiv_(m, v.sqrt().div_(s2).add_(eps), value: step);
            }
        }
    }
}
