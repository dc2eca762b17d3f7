using System.Diagnostics;
using Mirage.Evaluation;
using Mirage.Model;
using Mirage.Native;
using Mirage.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Benchmarks;

/// <summary>
/// Training and inference throughput of the HookedTransformer, timed like bench/torch_reference.py: warm-up steps, then
/// timed repetitions of N steps; a training step is <see cref="GradientStep"/> (what <see cref="Trainer"/> does) and
/// an AdamW update. Also times a forward pass written without any hook sites over the same weights, so that the cost
/// of having hook sites is measured, not assumed; the forward pass that records attention patterns, as the proxy
/// stage's does; and, given real sequences, training on the length-bucketed batches training really sees.
/// <para>
/// Noise is made visible rather than averaged away: every block is repeated and reported as median and range, and
/// the models and variants are interleaved within each repetition (their order reversed every other repetition), so
/// that a comparison between two of them is paired in time; on a shared machine its speed drifts by tens of percent
/// within minutes.
/// </para>
/// </summary>
public static class TrainBenchmark
{
    public static TrainBenchRun Run(IReadOnlyList<TrainBenchConfig> configs, TrainBenchOptions options, RealBatches? real = null,
        IProgress<string>? progress = null)
    {
        if (configs.Count == 0) throw new ArgumentException("no model to measure", nameof(configs));
        TorchRuntime.Init(options.Threads);
        var subjects = configs.Select(c => new Subject(c, real)).ToList();
        try
        {
            progress?.Report("warm-up");
            foreach (var s in subjects) s.WarmUp();
            double rssWarm = ProcessMemory.RssMb, rssHalf = rssWarm;
            var cpuShares = new List<double>();
            for (int r = 0; r < options.Reps; r++)
            {
                var cpu = new CpuShare(torch.get_num_threads());
                progress?.Report($"repetition {r + 1} of {options.Reps}");
                // Reversed every other repetition: a block that always ran first (a cooler cache, a quieter moment)
                // would otherwise look faster for its place, not for itself.
                var order = r % 2 == 0 ? subjects : Enumerable.Reverse(subjects).ToList();
                foreach (var s in order) s.TrainFixed();
                foreach (var s in order) s.TrainPrecisions(bf16First: r % 2 == 1);
                foreach (var s in order) s.TrainReal();
                foreach (var s in order) s.Infer(bareFirst: r % 2 == 1);
                cpuShares.Add(cpu.Share());
                if (options.Contention)
                {
                    using var load = CompetingLoad.Start();
                    // Let it start spinning (a shell starts in milliseconds) before anything is timed beside it.
                    Thread.Sleep(200);
                    foreach (var s in order)
                    {
                        double cpu0 = load.CpuSeconds;
                        long t0 = Stopwatch.GetTimestamp();
                        s.TrainFixed(contended: true);
                        s.CompetitorCores.Add((load.CpuSeconds - cpu0) / Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                    if (!load.Running) throw new InvalidOperationException("the competing process ended early");
                }
                if (r == (options.Reps - 1) / 2) rssHalf = ProcessMemory.RssMb;
            }
            var first = subjects[0];
            var results = subjects.Select(s => s.Result(ReferenceEquals(s, first) ? null : first)).ToList();
            return new TrainBenchRun(results, TorchRuntime.MklShimLoaded, torch.get_num_threads(), options.Reps, real?.Source, Spread.Of(cpuShares),
                rssWarm, rssHalf, ProcessMemory.RssMb, ProcessMemory.PeakRssMb);
        }
        finally
        {
            foreach (var s in subjects) s.Dispose();
        }
    }

    /// <summary>One model's measurements: its models (fixed batches; real batches), optimizers, batches and timings.</summary>
    sealed class Subject : IDisposable
    {
        readonly TrainBenchConfig _c;
        readonly HookedTransformer _model;
        readonly AdamW _opt;
        readonly TorchSharp.Modules.Parameter[] _params;
        readonly Tensor _tokens, _input, _target;
        readonly HashSet<string> _patternSites;
        readonly RealBatches? _real;
        readonly HookedTransformer? _realModel;
        readonly AdamW? _realOpt;
        readonly TorchSharp.Modules.Parameter[] _realParams = [];
        readonly BatchOrder? _order;
        long _realStep;
        readonly double _gradClip = new TrainConfig().GradClip;

        readonly List<double> _train = [], _infer = [], _bare = [], _cached = [], _realTokens = [], _realFlops = [], _contended = [],
            _optimizerShare = [], _bareTrain = [], _bf16Train = [];
        double _optimizerSeconds;
        long _realPositions, _realCounted;
        public readonly List<double> CompetitorCores = [];

        public ModelConfig Model { get; }

        public Subject(TrainBenchConfig c, RealBatches? real)
        {
            _c = c;
            torch.manual_seed(c.Seed);
            using var gen = new torch.Generator((ulong)c.Seed);
            Model = new ModelConfig { Layers = c.Layers, Heads = c.Heads, DModel = c.DModel, DMlp = c.DMlp, VocabSize = c.Vocab, ContextLength = c.SeqLen };
            _model = new HookedTransformer(Model, gen);
            _opt = new AdamW(_model.named_parameters(), new TrainConfig());
            _params = _model.parameters().ToArray();
            // Ids from 1: PAD (0) would be an ignored target, and every predicted token should count as one.
            _tokens = torch.randint(1, c.Vocab, [c.Batch, c.SeqLen], dtype: ScalarType.Int64, generator: gen);
            _input = _tokens[.., ..^1].contiguous();
            _target = _tokens[.., 1..].contiguous();
            _patternSites = Enumerable.Range(0, c.Layers).Select(HookSites.Pattern).ToHashSet();
            if (real is null) return;
            // The same shape, with the data's vocabulary and lengths: a model of its own, so the fixed-batch figures
            // stay those of the PyTorch reference's model.
            _real = real;
            _realModel = new HookedTransformer(Model with { VocabSize = real.VocabSize, ContextLength = Math.Max(2, real.ContextLength) }, gen);
            _realOpt = new AdamW(_realModel.named_parameters(), new TrainConfig());
            _realParams = _realModel.parameters().ToArray();
            var tc = new TrainConfig();
            _order = new BatchOrder(real.Sequences.Select(s => s.Length).ToArray(), c.Batch, tc.LengthBucketBatches, c.Seed);
        }

        void FixedStep() => FixedStep(_model.forward);

        /// <summary>A training step on the fixed batch through <paramref name="forward"/>; the optimizer's time is added up apart.</summary>
        void FixedStep(Func<Tensor, Tensor> forward)
        {
            using var scope = torch.NewDisposeScope();
            GradientStep.Compute(forward, Model.VocabSize, _opt, _params, _input, _target, _gradClip);
            long t0 = Stopwatch.GetTimestamp();
            _opt.Step(1e-3);
            _optimizerSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }

        void BareStep() => FixedStep(t => BareForward(_model, t));
        void Bf16Step() => FixedStep(t => BareForward(_model, t, bf16: true));

        /// <summary>One step on the next real batch, as the trainer takes it (batch built inside the step); returns (counted tokens, model FLOPs).</summary>
        (long Tokens, double Flops) RealStep()
        {
            using var scope = torch.NewDisposeScope();
            var batch = Batches.Select(_real!.Sequences, _order!.Batch(_realStep++));
            var (input, target) = Batches.Make(batch);
            GradientStep.Compute(_realModel!, _realOpt!, _realParams, input, target, _gradClip);
            _realOpt!.Step(1e-3);
            long b = input.shape[0], t = input.shape[1];
            long counted = Batches.PredictedTokens(batch);
            _realPositions += b * t; _realCounted += counted;
            return (counted, counted * ModelFlops.TrainingPerToken(Model, (int)t));
        }

        void PlainInfer() { using var s = torch.NewDisposeScope(); _model.forward(_tokens); }
        void BareInfer() { using var s = torch.NewDisposeScope(); BareForward(_model, _tokens); }
        void CachedInfer()
        {
            using var s = torch.NewDisposeScope();
            using var cache = new ActivationCache(_patternSites.Contains);
            _model.Run(_tokens, cache: cache);
        }

        public void WarmUp()
        {
            _model.train();
            for (int i = 0; i < _c.Warmup; i++) { FixedStep(); BareStep(); Bf16Step(); }
            if (_real is not null) { _realModel!.train(); for (int i = 0; i < _c.Warmup; i++) RealStep(); }
            _model.eval();
            using var _ = torch.no_grad();
            for (int i = 0; i < _c.Warmup; i++) { PlainInfer(); BareInfer(); CachedInfer(); }
        }

        double TrainTokensPerStep => (double)_c.Batch * (_c.SeqLen - 1);
        double InferTokensPerStep => (double)_c.Batch * _c.SeqLen;

        public void TrainFixed(bool contended = false)
        {
            _model.train();
            _optimizerSeconds = 0;
            double s = Seconds(FixedStep);
            (contended ? _contended : _train).Add(TrainTokensPerStep * _c.Steps / s);
            if (!contended) _optimizerShare.Add(_optimizerSeconds / s);
        }

        /// <summary>
        /// Training with the products in bf16 against the same step in fp32, both through the forward pass written
        /// without hook sites (so that the two differ in the precision alone), back to back, in turns.
        /// </summary>
        public void TrainPrecisions(bool bf16First)
        {
            _model.train();
            double fp32, bf16;
            if (bf16First) { bf16 = Seconds(Bf16Step); fp32 = Seconds(BareStep); }
            else { fp32 = Seconds(BareStep); bf16 = Seconds(Bf16Step); }
            _bareTrain.Add(TrainTokensPerStep * _c.Steps / fp32);
            _bf16Train.Add(TrainTokensPerStep * _c.Steps / bf16);
        }

        public void TrainReal()
        {
            if (_real is null) return;
            _realModel!.train();
            long tokens = 0; double flops = 0;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < _c.Steps; i++) { var (n, f) = RealStep(); tokens += n; flops += f; }
            double s = Stopwatch.GetElapsedTime(start).TotalSeconds;
            _realTokens.Add(tokens / s);
            _realFlops.Add(flops / s / 1e9);
        }

        public void Infer(bool bareFirst)
        {
            _model.eval();
            using var _ = torch.no_grad();
            double plain, bare;
            if (bareFirst) { bare = Seconds(BareInfer); plain = Seconds(PlainInfer); }
            else { plain = Seconds(PlainInfer); bare = Seconds(BareInfer); }
            double cached = Seconds(CachedInfer);
            _infer.Add(InferTokensPerStep * _c.Steps / plain);
            _bare.Add(InferTokensPerStep * _c.Steps / bare);
            _cached.Add(InferTokensPerStep * _c.Steps / cached);
        }

        double Seconds(Action step)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < _c.Steps; i++) step();
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        static Spread Paired(List<double> a, List<double> b, Func<double, double, double> f) => Spread.Of(a.Zip(b, f));

        public TrainBenchResult Result(Subject? first)
        {
            double trainFlops = ModelFlops.TrainingPerToken(Model, _c.SeqLen - 1);
            bool real = _realTokens.Count > 0, contended = _contended.Count > 0;
            return new TrainBenchResult(_c,
                Spread.Of(_train), Spread.Of(_infer), Spread.Of(_bare), Spread.Of(_cached),
                // Throughput ratios inverted: time of the plain pass ÷ time of the bare pass = bare tok/s ÷ plain tok/s.
                Paired(_bare, _infer, (bare, plain) => bare / plain - 1), Paired(_infer, _cached, (plain, cached) => plain / cached - 1),
                trainFlops, ModelFlops.ForwardPerToken(Model, _c.SeqLen),
                first is null ? null : Paired(_train, first._train, (a, b) => a / b),
                first is null ? null : Paired(_infer, first._infer, (a, b) => a / b),
                real ? Spread.Of(_realTokens) : null, real ? Spread.Of(_realFlops) : null,
                real ? 1 - (double)_realCounted / _realPositions : null,
                real ? Paired(_realFlops, _train, (r, f) => r * 1e9 / (f * trainFlops)) : null,
                contended ? Spread.Of(_contended) : null, contended ? Paired(_contended, _train, (c, u) => c / u) : null,
                contended ? Spread.Of(CompetitorCores).Median : null,
                Spread.Of(_optimizerShare), Spread.Of(_bf16Train), Paired(_bf16Train, _bareTrain, (b, f) => b / f));
        }

        public void Dispose()
        {
            _model.Dispose(); _opt.Dispose(); _tokens.Dispose(); _input.Dispose(); _target.Dispose();
            _realModel?.Dispose(); _realOpt?.Dispose();
        }
    }

    /// <summary>
    /// The same computation as HookedTransformer.forward, written with no hook sites at all (the baseline). With
    /// <paramref name="bf16"/>, what bf16 autocast would do: every matrix product (the linear maps and attention's two)
    /// takes bf16 copies of its operands and its result is cast back to fp32; the weights, the optimizer, layer norms
    /// and softmax stay in fp32.
    /// </summary>
    internal static Tensor BareForward(HookedTransformer m, Tensor tokens, bool bf16 = false)
    {
        var c = m.Config;
        Tensor Low(Tensor x) => bf16 ? x.to_type(ScalarType.BFloat16) : x;
        Tensor Back(Tensor x) => bf16 ? x.to_type(ScalarType.Float32) : x;
        Tensor Linear(TorchSharp.Modules.Linear l, Tensor x) => bf16 ? Back(torch.nn.functional.linear(Low(x), Low(l.weight!), l.bias is null ? null : Low(l.bias))) : l.forward(x);
        Tensor MatMul(Tensor a, Tensor b) => Back(torch.matmul(Low(a), Low(b)));
        long b = tokens.shape[0], t = tokens.shape[1];
        var x = m.embed.forward(tokens) + m.pos_embed[..(int)t];
        using var mask = torch.ones(t, t, ScalarType.Bool).triu(1);
        foreach (var blk in m.blocks)
        {
            var h = blk.ln1.forward(x);
            var qkv = Linear(blk.attn.qkv, h).view(b, t, 3, c.Heads, c.HeadDim);
            var q = qkv.select(2, 0).transpose(1, 2); var k = qkv.select(2, 1).permute(0, 2, 3, 1); var v = qkv.select(2, 2).transpose(1, 2);
            using Scalar scale = (1.0 / Math.Sqrt(c.HeadDim)).ToScalar(), future = double.NegativeInfinity.ToScalar();   // explicit: ScalarLifetimeTests
            var pattern = MatMul(q, k).mul_(scale).masked_fill_(mask, future).softmax(-1);
            var z = MatMul(pattern, v).transpose(1, 2).reshape(b, t, c.Heads * c.HeadDim);
            x = x + Linear(blk.attn.out_proj, z);
            x = x + Linear(blk.mlp.fc_out, torch.nn.functional.gelu(Linear(blk.mlp.fc_in, blk.ln2.forward(x))));
        }
        return Linear(m.unembed, m.ln_final.forward(x));
    }
}
