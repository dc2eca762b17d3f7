using Mirage.Faithfulness;
using Mirage.Model;
using Mirage.Tasks.Dyck;
using Mirage.Training;

namespace Mirage.Study;

/// <summary>
/// The settings of each stage of <c>mirage reproduce dyck</c> at one scale. <c>quick</c> is a smoke test (tiny
/// model and data, minutes); <c>default</c> fits the README's 20-minute budget on 2 cores and still shows the study's
/// findings; <c>paper</c> is the full-size study (Murty's 200,000 strings, 2,000 per split, training to 98 %).
/// </summary>
public sealed record DyckStudy(string Scale, DyckConfig Data, ModelConfig Model, TrainConfig Training, SimplifyConfig Simplify) : IStudy
{
    public string Task => "dyck";
    object IStudy.DataConfig => Data;
    public string DataSummary => $"Dyck-({Data.K},{Data.MaxDepth}), {Data.Train:N0} train, {Data.PerSplit:N0} per split";

    public static readonly string[] Scales = ["quick", "default", "paper"];

    public static DyckStudy For(string scale) => scale switch
    {
        "quick" => new DyckStudy(scale,
            new DyckConfig { K = 8, MaxDepth = 5, Train = 4000, PerSplit = 150, MaxLength = 48, ShortMaxLength = 24 },
            new ModelConfig { Layers = 2, Heads = 1, DModel = 32, DMlp = 128, ContextLength = 50 },
            new TrainConfig { Steps = 150, BatchSize = 64, LearningRate = 3e-3, WarmupSteps = 20, EvalEvery = 50, EvalSequences = 150, CheckpointEvery = 50, TargetAccuracy = 0 },
            new SimplifyConfig { FitN = 200, BootstrapResamples = 200, Sweeps = new Dictionary<string, IReadOnlyList<int>> { ["kmeans"] = [2, 8, 32] } }),
        // 20 minutes on 2 cores buys ~2,500 steps per seed (~4 min each at ~10 steps/s) and a proxy stage of a few
        // minutes: 500 sequences per split, and sweeps that keep the points where the gaps show (r = 16, 32 for pca
        // and weight-svd; r = 128 is the full rank of a 1-head d_model-128 block, i.e. the model itself).
        "default" => new DyckStudy(scale,
            new DyckConfig { PerSplit = 500 },
            new ModelConfig(),
            new TrainConfig { Steps = 2500, EvalSequences = 500, EvalEvery = 250, CheckpointEvery = 500, TargetAccuracy = 0.97 },
            new SimplifyConfig { Sweeps = new Dictionary<string, IReadOnlyList<int>> { ["pca"] = [1, 4, 16, 32, 64], ["weight-svd"] = [1, 4, 16, 32, 64], ["kmeans"] = [4, 16, 64] } }),
        "paper" => new DyckStudy(scale,
            new DyckConfig(),
            new ModelConfig(),
            new TrainConfig { Steps = 20000, EvalSequences = 2000, TargetAccuracy = 0.98 },
            new SimplifyConfig { Proxies = ["pca", "pca-uncentred", "kmeans", "onehot", "weight-svd"], Oracle = true }),
        _ => throw new UserError($"--scale {scale}: unknown scale; valid: {string.Join(", ", Scales)}"),
    };
}
