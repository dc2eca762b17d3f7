namespace Mirage.Benchmarks;

/// <summary>
/// One model and batch of <c>mirage bench train</c>; the same names as the flags of bench/torch_reference.py, the
/// PyTorch reference. <see cref="Steps"/> are the steps of one timed repetition.
/// </summary>
public sealed record TrainBenchConfig(int Layers = 2, int Heads = 1, int DModel = 128, int DMlp = 512, int Vocab = 43, int SeqLen = 64,
    int Batch = 128, int Steps = 20, int Warmup = 5, int Seed = 0);
