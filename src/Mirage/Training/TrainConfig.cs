namespace Mirage.Training;

/// <summary>
/// How a model is trained (docs/method.md §3; defaults: AdamW, lr 1e-3 with warm-up and cosine decay, batch 128; stop at
/// <see cref="TargetAccuracy"/> accuracy on the validation split or at the <see cref="Steps"/> budget). Stored in every checkpoint; a
/// resumed run must be given the same values.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>Step budget; also the length of the cosine schedule (each task's default: <see cref="TrainingDefaults"/>).</summary>
    public int Steps { get; init; } = 8000;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>The learning rate decays along a cosine to LearningRate * MinLrRatio at the last step.</summary>
    public double MinLrRatio { get; init; } = 0.1;
    public int WarmupSteps { get; init; } = 300;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Gradients are clipped to this global norm (0 = off).</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>Seeds weight init and the order of training batches.</summary>
    public int Seed { get; init; } = 0;
    /// <summary>Accuracy on the validation split (the task metric) is measured every this many steps on its first <see cref="EvalSequences"/> sequences.</summary>
    public int EvalEvery { get; init; } = 500;
    public int EvalSequences { get; init; } = 2000;
    /// <summary>Stop once validation accuracy reaches this (0 = train the whole budget).</summary>
    public double TargetAccuracy { get; init; } = 0.97;
    public int CheckpointEvery { get; init; } = 1000;
    /// <summary>Batches are formed from pools of this many batches sorted by length, so padding stays small.</summary>
    public int LengthBucketBatches { get; init; } = 50;
    /// <summary>
    /// libtorch threads of the training process. Part of the result: reductions split over a different number of
    /// threads round differently, so two runs are bit-identical only at the same thread count.
    /// </summary>
    public int Threads { get; init; } = 2;
    /// <summary>
    /// Decay of the exponential moving average of the weights that is evaluated, stopped on and saved
    /// (<see cref="WeightAverage"/>); 0 = no average, the raw weights are the model.
    /// </summary>
    public double EmaDecay { get; init; } = 0;

    public TrainConfig Validate(string source = "training config")
    {
        void Need(bool ok, string field, string expected, object found)
        { if (!ok) throw new UserError($"{source}: {field} must be {expected}, found {found}"); }
        Need(Steps >= 1, "steps", ">= 1", Steps);
        Need(BatchSize >= 1, "batch_size", ">= 1", BatchSize);
        Need(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", "> 0", LearningRate);
        Need(MinLrRatio is >= 0 and <= 1, "min_lr_ratio", "in [0, 1]", MinLrRatio);
        Need(WarmupSteps >= 0, "warmup_steps", ">= 0", WarmupSteps);
        Need(WeightDecay >= 0, "weight_decay", ">= 0", WeightDecay);
        Need(Beta1 is >= 0 and < 1, "beta1", "in [0, 1)", Beta1);
        Need(Beta2 is >= 0 and < 1, "beta2", "in [0, 1)", Beta2);
        Need(Eps > 0, "eps", "> 0", Eps);
        Need(GradClip >= 0, "grad_clip", ">= 0", GradClip);
        Need(EvalEvery >= 1, "eval_every", ">= 1", EvalEvery);
        Need(EvalSequences >= 1, "eval_sequences", ">= 1", EvalSequences);
        Need(TargetAccuracy is >= 0 and <= 1, "target_accuracy", "in [0, 1]", TargetAccuracy);
        Need(CheckpointEvery >= 1, "checkpoint_every", ">= 1", CheckpointEvery);
        Need(LengthBucketBatches >= 1, "length_bucket_batches", ">= 1", LengthBucketBatches);
        Need(Threads is >= 1 and <= 1024, "threads", "between 1 and 1024", Threads);
        Need(EmaDecay is >= 0 and < 1, "ema_decay", "in [0, 1) (0 = no weight average)", EmaDecay);
        return this;
    }
}
