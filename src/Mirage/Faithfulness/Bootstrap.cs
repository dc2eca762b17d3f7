using System.Collections.Concurrent;
using Mirage.Statistics;

namespace Mirage.Faithfulness;

/// <summary>
/// Percentile bootstrap over sequences (95 % by default), one seed at a time. Every cell on a split (each proxy,
/// parameter, head, metric, category) is resampled with the same draws of that split's sequences (common random
/// numbers, as the pooled statistics do): a replicate is then two dot products of the draw counts with the cell's
/// per-sequence numerators and denominators instead of N draws from a generator, which had been a fifth of the proxy
/// stage's time. The draws depend only on (seed, split, N, B), so the same inputs give the same interval in any order.
/// </summary>
public sealed class Bootstrap(int seed, int resamples = Bootstrap.DefaultResamples)
{
    public const int DefaultResamples = 1000;

    readonly ConcurrentDictionary<(string Split, int Sequences), Lazy<SequenceDraws>> _draws = new();

    /// <summary>The draws of a split's <paramref name="sequences"/> sequences (made once, on first use; thread-safe).</summary>
    public SequenceDraws Draws(string split, int sequences) =>
        _draws.GetOrAdd((split, sequences), k => new Lazy<SequenceDraws>(() =>
            new SequenceDraws(k.Sequences, resamples, StableHash.Of("per-seed-bootstrap", seed, k.Split, k.Sequences, resamples)))).Value;

    /// <summary>The interval of a ratio on <paramref name="split"/>.</summary>
    public (double Low, double High)? Interval(RatioStat s, string split, double level = 0.95) =>
        s.Value is null ? null : Percentiles(Replicates(s, split), level);

    /// <summary>Interval of <c>a - b</c> where a and b come from different sets of sequences (IID vs an OOD split),
    /// each resampled with its own split's draws (independent of each other).</summary>
    public (double Low, double High)? DifferenceInterval(RatioStat a, string splitA, RatioStat b, string splitB, double level = 0.95)
    {
        if (a.Value is null || b.Value is null) return null;
        var ra = Replicates(a, splitA);
        var rb = Replicates(b, splitB);
        for (int i = 0; i < ra.Length; i++) ra[i] -= rb[i];
        return Percentiles(ra, level);
    }

    /// <summary>The ratio under each replicate; a replicate that drew nothing to count keeps the split's value.</summary>
    double[] Replicates(RatioStat s, string split)
    {
        var r = Draws(split, s.Sequences).Ratios(s.Numerator, s.Denominator);
        for (int i = 0; i < r.Length; i++) if (double.IsNaN(r[i])) r[i] = s.Value!.Value;
        return r;
    }

    static (double, double) Percentiles(double[] draws, double level)
    {
        Array.Sort(draws);
        double alpha = (1 - level) / 2;
        return (PooledBootstrap.Quantile(draws, alpha), PooledBootstrap.Quantile(draws, 1 - alpha));
    }
}
