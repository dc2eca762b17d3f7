namespace Mirage.Faithfulness;

/// <summary>
/// The faithfulness of one proxy on one split, kept per sequence (for the bootstrap): agreement with the model,
/// attention JSD on the simplified head, logit KL(model ‖ proxy), and both accuracies; plus depth and distance
/// breakdowns of agreement and accuracies.
/// </summary>
public sealed class SplitFaithfulness(string split, int sequences)
{
    public const string Agreement = "agreement", AttentionJsd = "attention_jsd", LogitKl = "logit_kl", ProxyAccuracy = "proxy_accuracy", ModelAccuracy = "model_accuracy";
    public static readonly string[] Metrics = [Agreement, AttentionJsd, LogitKl, ProxyAccuracy, ModelAccuracy];
    public static readonly string[] BreakdownMetrics = [Agreement, ProxyAccuracy, ModelAccuracy];

    public string Split { get; } = split;
    public Dictionary<string, RatioStat> Stats { get; } = Metrics.ToDictionary(m => m, _ => new RatioStat(sequences));

    /// <summary>(breakdown, key, metric) → (numerator, count).</summary>
    public SortedDictionary<(string Breakdown, int Key, string Metric), (double Num, int N)> Breakdown { get; } = new();

    public void AddBreakdown(string breakdown, int key, string metric, double value)
    {
        Breakdown.TryGetValue((breakdown, key, metric), out var v);
        Breakdown[(breakdown, key, metric)] = (v.Num + value, v.N + 1);
    }
}
