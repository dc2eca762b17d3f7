using System.Numerics;

namespace Mirage.Statistics;

/// <summary>
/// The bootstrap draws of one split's sequences, made once and kept: for each replicate, how often each sequence was
/// drawn. Every statistic on the split is then resampled with the same draws (common random numbers) whenever it is
/// needed, so a caller can resample one target's vectors at a time and keep only those replicates: holding every
/// target's replicates at once took gigabytes at the default study's size. The draws cost 4 bytes per sequence and
/// replicate (20 MB for 500 sequences and 10,000 replicates).
/// </summary>
public sealed class SequenceDraws
{
    readonly int[] _counts;   // replicate b's counts are _counts[b * Sequences .. (b + 1) * Sequences)

    public int Sequences { get; }
    public int Resamples { get; }

    public SequenceDraws(int sequences, int resamples, int seed)
    {
        Sequences = sequences;
        Resamples = resamples;
        _counts = new int[(long)sequences * resamples];
        var rng = new Random(seed);
        for (int b = 0; b < resamples; b++)
        {
            var row = _counts.AsSpan(b * sequences, sequences);
            for (int j = 0; j < sequences; j++) row[rng.Next(sequences)]++;
        }
    }

    /// <summary>For each vector (one value per sequence), its sum under each draw.</summary>
    public long[][] Sums(IReadOnlyList<int[]> vectors)
    {
        foreach (var v in vectors)
            if (v.Length != Sequences) throw new ArgumentException($"vector of length {v.Length} on a split of {Sequences} sequences");
        var result = vectors.Select(_ => new long[Resamples]).ToArray();
        for (int b = 0; b < Resamples; b++)
        {
            var counts = _counts.AsSpan(b * Sequences, Sequences);
            for (int v = 0; v < vectors.Count; v++) result[v][b] = Dot(counts, vectors[v]);
        }
        return result;
    }

    /// <summary>
    /// For per-sequence numerators and denominators, the ratio of their sums under each draw (NaN where a draw's
    /// denominator is 0). Summed in a fixed order (four interleaved partial sums, added in one order), so the result
    /// is the same on every machine whatever its vector width.
    /// </summary>
    public double[] Ratios(double[] numerator, double[] denominator)
    {
        if (numerator.Length != Sequences || denominator.Length != Sequences)
            throw new ArgumentException($"vectors of length {numerator.Length} and {denominator.Length} on a split of {Sequences} sequences");
        var result = new double[Resamples];
        for (int b = 0; b < Resamples; b++)
        {
            var counts = _counts.AsSpan(b * Sequences, Sequences);
            double num = Dot(counts, numerator), den = Dot(counts, denominator);
            result[b] = den == 0 ? double.NaN : num / den;
        }
        return result;
    }

    // Fully optimised from the first call: a seed's few thousand intervals are done before tiered compilation would
    // replace its first, unoptimised version of this loop.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static double Dot(ReadOnlySpan<int> counts, ReadOnlySpan<double> values)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= counts.Length; i += 4)
        {
            s0 += counts[i] * values[i];
            s1 += counts[i + 1] * values[i + 1];
            s2 += counts[i + 2] * values[i + 2];
            s3 += counts[i + 3] * values[i + 3];
        }
        for (; i < counts.Length; i++) s0 += counts[i] * values[i];
        return (s0 + s1) + (s2 + s3);
    }

    static long Dot(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
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
}
