using Mirage.Tasks;
using Mirage.Tasks.Dyck;

namespace Mirage.Benchmarks;

/// <summary>
/// Training sequences for timing training on the batches it really sees: length-bucketed by
/// <see cref="Training.BatchOrder"/> and padded by <see cref="Evaluation.Batches"/> to the longest of each batch,
/// unlike the benchmark's fixed full-length batches. <see cref="Source"/> says where they came from.
/// </summary>
public sealed record RealBatches(string Source, IReadOnlyList<int[]> Sequences, int VocabSize)
{
    /// <summary>The train split of a data directory from <c>mirage data</c>.</summary>
    public static RealBatches From(TaskData data) =>
        new($"{data.Directory} ({data.Task.Name}, {data.Splits["train"].Count:N0} train sequences)", data.Splits["train"], data.Task.Vocabulary.Count);

    /// <summary>
    /// The default Dyck data's train split, drawn in memory: <paramref name="train"/> sequences from the default
    /// sampler. Fewer than the real 200,000, but the padding of a batch depends on the pools
    /// <see cref="Training.BatchOrder"/> sorts (50 batches), not on the split's size, and the lengths come from the
    /// same distribution. The evaluation splits are drawn with one sequence each (the smallest Build allows).
    /// </summary>
    public static RealBatches InMemoryDyck(int train = 20_000)
    {
        var config = new DyckConfig { Train = train, PerSplit = 1 };
        var task = new DyckTask(config.K, config.MinDistance);
        var sequences = DyckSplits.Build(config)["train"].Select(task.Encode).ToArray();
        return new($"default Dyck data drawn in memory ({train:N0} train sequences)", sequences, task.Vocabulary.Count);
    }

    /// <summary>Positions the model must embed: the longest input (a sequence without its last token).</summary>
    public int ContextLength => Sequences.Max(s => s.Length) - 1;
}
