namespace Mirage.Statistics;

/// <summary>
/// The bootstrap that pools seeds: each replicate draws the seeds with replacement, then the sequences of each split
/// with replacement, and recomputes the statistic as a mean over the drawn seeds. Every seed is evaluated on the same
/// sequences (seeds and sequences are crossed, not nested), so one draw of a split's sequences serves all the drawn
/// seeds: a hard sequence is hard for every model, and resampling it independently per seed would understate the
/// interval. Splits are drawn independently of each other (they hold different sequences).
/// Replicates are shared by every statistic on a split (common random numbers): <see cref="SequenceDraws"/> makes a
/// split's draws once and resamples any vectors with them.
/// The outcomes the tests use are counts (agreeing, correct and scored positions), so every resampled sum is an exact
/// integer: the same numbers on every machine and with any vector width.
/// </summary>
public static class PooledBootstrap
{
    /// <summary>How often each of <paramref name="seeds"/> seeds is drawn in each replicate (rows sum to the seed count).</summary>
    public static int[][] SeedDraws(int seeds, int resamples, int seed)
    {
        var rng = new Random(seed);
        var draws = new int[resamples][];
        for (int b = 0; b < resamples; b++)
        {
            draws[b] = new int[seeds];
            if (seeds == 1) { draws[b][0] = 1; continue; }
            for (int j = 0; j < seeds; j++) draws[b][rng.Next(seeds)]++;
        }
        return draws;
    }

    /// <summary>
    /// Percentile interval and two-sided bootstrap p-value of a statistic from its replicates (NaN replicates, where
    /// a drawn set had nothing to score, are left out). p = 2 · min(share ≤ 0, share ≥ 0), with the +1 correction so
    /// it is never 0: the smallest p a run can report is 2 / (B + 1).
    /// </summary>
    public static (double Low, double High, double P) Summarize(double[] replicates, double level = 0.95)
    {
        var ok = replicates.Where(double.IsFinite).ToArray();
        if (ok.Length == 0) return (double.NaN, double.NaN, double.NaN);
        Array.Sort(ok);
        double alpha = (1 - level) / 2;
        int below = ok.Count(x => x <= 0), above = ok.Count(x => x >= 0);
        double p = Math.Min(1.0, 2.0 * (Math.Min(below, above) + 1) / (ok.Length + 1));
        return (Quantile(ok, alpha), Quantile(ok, 1 - alpha), p);
    }

    /// <summary>The q-quantile of sorted values, interpolated linearly between order statistics.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
