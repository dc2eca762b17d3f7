namespace Mirage.Benchmarks;

/// <summary>
/// What <c>mirage bench train</c> measured for one model, every figure over the run's repetitions. Throughputs are
/// tokens/s; <see cref="HookSitesOverhead"/> and <see cref="CacheOverhead"/> are time ratios minus one and every
/// "Vs" figure a ratio of throughputs, each paired within a repetition (both measured back to back), so that a drift
/// of the machine's speed between repetitions cancels.
/// </summary>
/// <param name="Train">Training tokens/s on the fixed batches (batch × (seq_len − 1) predicted tokens per step).</param>
/// <param name="Infer">Inference tokens/s of the plain forward pass (no hooks, no cache).</param>
/// <param name="BareInfer">The same computation written without any hook sites.</param>
/// <param name="CachedInfer">The forward pass recording every layer's attention pattern, as the proxy stage's model pass does.</param>
/// <param name="HookSitesOverhead">Time of the plain pass ÷ time of the bare one, minus one.</param>
/// <param name="CacheOverhead">Time of the caching pass ÷ time of the plain one, minus one.</param>
/// <param name="TrainFlopsPerToken">Model FLOPs per trained token (<see cref="ModelFlops"/>) at seq_len − 1 positions.</param>
/// <param name="InferFlopsPerToken">Model FLOPs per token of a forward pass at seq_len positions.</param>
/// <param name="TrainVsFirst">Training tokens/s ÷ that of the run's first model, per repetition (null for the first).</param>
/// <param name="InferVsFirst">Inference tokens/s ÷ that of the run's first model, per repetition (null for the first).</param>
/// <param name="RealTrain">Training tokens/s on real length-bucketed batches (PAD targets not counted as tokens).</param>
/// <param name="RealTrainGflops">Model GFLOP/s achieved on those batches (each batch's FLOPs at its padded length).</param>
/// <param name="RealPadding">Share of the real batches' positions that were padding.</param>
/// <param name="RealVsFixed">Model FLOP/s on real batches ÷ model FLOP/s on the fixed ones, per repetition.</param>
/// <param name="Contended">Training tokens/s on the fixed batches beside a competing busy process.</param>
/// <param name="ContentionRatio">Contended ÷ uncontended training tokens/s, per repetition.</param>
/// <param name="CompetitorCores">CPU the competing process got while training ran beside it, in cores (median).</param>
/// <param name="OptimizerShare">Share of a fixed-batch training step's time spent in the AdamW update.</param>
/// <param name="Bf16Train">Training tokens/s on the fixed batches with every matrix product in bf16 (fp32 weights).</param>
/// <param name="Bf16VsFp32">Those tokens/s ÷ the same step's in fp32 (both without hook sites), per repetition.</param>
public sealed record TrainBenchResult(TrainBenchConfig Config,
    Spread Train, Spread Infer, Spread BareInfer, Spread CachedInfer, Spread HookSitesOverhead, Spread CacheOverhead,
    double TrainFlopsPerToken, double InferFlopsPerToken, Spread? TrainVsFirst, Spread? InferVsFirst,
    Spread? RealTrain, Spread? RealTrainGflops, double? RealPadding, Spread? RealVsFixed,
    Spread? Contended, Spread? ContentionRatio, double? CompetitorCores,
    Spread OptimizerShare, Spread Bf16Train, Spread Bf16VsFp32);
