namespace Mirage.Faithfulness;

/// <summary>
/// The faithfulness of one proxy on one split, kept per sequence (for the bootstrap): agreement with the model,
/// attention JSD on the simplified head, logit KL(model ‖ proxy), and both accuracies; plus depth and distance
/// breakdowns of agreement and accuracies. Tasks with several categories of scored position (code: closing
/// brackets, repeated words, other) also get every metric per category, bootstrapped the same way.
/// </summary>
public sealed class SplitFaithfulness(string split, int sequences, int categories = 1, IReadOnlyList<string>? variants = null)
{
    public const string Agreement = "agreement", AttentionJsd = "attention_jsd", AttentionJsdScored = "attention_jsd_scored", LogitKl = "logit_kl",
        ProxyAccuracy = "proxy_accuracy", ModelAccuracy = "model_accuracy";
    /// <summary>
    /// attention_jsd averages over every query position, the trivial first ones included; attention_jsd_scored only
    /// over the positions that predict a scored token — where a changed pattern can change the task metric.
    /// </summary>
    public static readonly string[] Metrics = [Agreement, AttentionJsd, AttentionJsdScored, LogitKl, ProxyAccuracy, ModelAccuracy];
    public static readonly string[] BreakdownMetrics = [Agreement, ProxyAccuracy, ModelAccuracy];

    /// <summary>The name of a metric's gap to the reference split in results files: <c>agreement</c> → <c>agreement_gap</c>.</summary>
    public static string Gap(string metric) => metric + "_gap";

    public string Split { get; } = split;
    public Dictionary<string, RatioStat> Stats { get; } = Metrics.ToDictionary(m => m, _ => new RatioStat(sequences));

    /// <summary>Per category index, per metric; empty when the task has a single category (the split is the category).</summary>
    public IReadOnlyList<Dictionary<string, RatioStat>> ByCategory { get; } = categories <= 1 ? []
        : Enumerable.Range(0, categories).Select(_ => Metrics.ToDictionary(m => m, _ => new RatioStat(sequences))).ToList();

    /// <summary>Per scoring variant of the task (Dyck: <c>min_distance_1</c>, every closer), per metric: the same comparison at the variant's positions.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, RatioStat>> Variants { get; } =
        (variants ?? []).ToDictionary(v => v, _ => Metrics.ToDictionary(m => m, _ => new RatioStat(sequences)));

    /// <summary>(breakdown, key, metric) → (numerator, count).</summary>
    public SortedDictionary<(string Breakdown, int Key, string Metric), (double Num, int N)> Breakdown { get; } = new();

    /// <summary>A copy that keeps only the sequences in <paramref name="keep"/> (the others count nothing), split-level metrics only.</summary>
    public SplitFaithfulness Only(IReadOnlySet<int> keep)
    {
        var copy = new SplitFaithfulness(Split, Stats[Agreement].Sequences);
        foreach (var (metric, stat) in Stats)
            for (int i = 0; i < stat.Sequences; i++)
                if (keep.Contains(i)) copy.Stats[metric].Add(i, stat.Numerator[i], stat.Denominator[i]);
        return copy;
    }

    public void AddBreakdown(string breakdown, int key, string metric, double value)
    {
        Breakdown.TryGetValue((breakdown, key, metric), out var v);
        Breakdown[(breakdown, key, metric)] = (v.Num + value, v.N + 1);
    }
}
