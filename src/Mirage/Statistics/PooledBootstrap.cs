using System.Numerics;

namespace Mirage.Statistics;

/// <summary>
/// The bootstrap that pools seeds: each replicate draws the seeds with replacement, then the sequences of each split
/// with replacement, and recomputes the statistic as a mean over the drawn seeds. Every seed is evaluated on the same
/// sequences (seeds and sequences are crossed, not nested), so one draw of a split's sequences serves all the drawn
/// seeds: a hard sequence is hard for every model, and resampling it independently per seed would understate the
/// interval. Splits are drawn independently of each other (they hold different sequences).
/// Replicates are shared by every statistic on a split (common random numbers), which lets one pass compute them all.
/// The outcomes the tests use are counts (agreeing, correct and scored positions), so every resampled sum is an exact
/// integer: the same numbers on every machine and with any vector width.
/// </summary>
public static class PooledBootstrap
{
    /// <summary>
    /// For each vector (one per sequence of a split), its sum over each of <paramref name="resamples"/> bootstrap
    /// draws of the sequences. Draw b is the same for every vector.
    /// </summary>
    public static long[][] ReplicateSums(IReadOnlyList<int[]> vectors, int sequences, int resamples, int seed) =>
        new SequenceDraws(sequences, resamples, seed).Sums(vectors);

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

    internal static long Dot(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        long sum = 0;
        int i = 0, w = Vector<int>.Count;
        // Integer products: exact, so the result does not depend on the vector width. Blocks of 4096 keep the
        // lane sums (counts ≤ sequences, values ≤ a few hundred) far from int overflow.
        while (i + w <= a.Length)
        {
            var acc = Vector<int>.Zero;
            int end = Math.Min(a.Length - w + 1, i + 4096);
            for (; i < end; i += w) acc += new Vector<int>(a[i..]) * new Vector<int>(b[i..]);
            sum += Vector.Sum(Vector.AsVectorInt64(Vector.WidenLower(acc)) + Vector.AsVectorInt64(Vector.WidenUpper(acc)));
        }
        for (; i < a.Length; i++) sum += (long)a[i] * b[i];
        return sum;
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

    static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
