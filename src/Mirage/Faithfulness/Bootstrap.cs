namespace Mirage.Faithfulness;

/// <summary>
/// Percentile bootstrap over sequences (95 % by default). Seeded, so the same inputs give the same interval.
/// </summary>
public static class Bootstrap
{
    public const int DefaultResamples = 1000;

    public static (double Low, double High)? Interval(RatioStat s, int seed, int resamples = DefaultResamples, double level = 0.95)
    {
        if (s.Value is null) return null;
        var rng = new Random(seed);
        var draws = new double[resamples];
        for (int b = 0; b < resamples; b++) draws[b] = Resample(s, rng) ?? s.Value.Value;
        return Percentiles(draws, level);
    }

    /// <summary>Interval of <c>a - b</c> where a and b come from independent sets of sequences (IID vs an OOD split).</summary>
    public static (double Low, double High)? DifferenceInterval(RatioStat a, RatioStat b, int seed, int resamples = DefaultResamples, double level = 0.95)
    {
        if (a.Value is null || b.Value is null) return null;
        var rng = new Random(seed);
        var draws = new double[resamples];
        for (int i = 0; i < resamples; i++) draws[i] = (Resample(a, rng) ?? a.Value.Value) - (Resample(b, rng) ?? b.Value.Value);
        return Percentiles(draws, level);
    }

    static double? Resample(RatioStat s, Random rng)
    {
        double num = 0, den = 0;
        int n = s.Sequences;
        for (int i = 0; i < n; i++)
        {
            int j = rng.Next(n);
            num += s.Numerator[j]; den += s.Denominator[j];
        }
        return den == 0 ? null : num / den;
    }

    static (double, double) Percentiles(double[] draws, double level)
    {
        Array.Sort(draws);
        double alpha = (1 - level) / 2;
        return (Quantile(draws, alpha), Quantile(draws, 1 - alpha));
    }

    static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
