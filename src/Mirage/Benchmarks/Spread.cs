namespace Mirage.Benchmarks;

/// <summary>
/// Repetitions of one measurement: their median and their range. A benchmark on a shared machine reports these
/// rather than one figure, so that a reader can tell a difference from the noise: two figures whose ranges overlap
/// widely are not known to differ.
/// </summary>
public sealed record Spread(double Median, double Min, double Max, int Count)
{
    /// <summary>The median (mean of the two middle values for an even count), minimum and maximum of <paramref name="values"/>.</summary>
    public static Spread Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) throw new ArgumentException("a spread needs at least one value", nameof(values));
        Array.Sort(v);
        int m = v.Length / 2;
        double median = v.Length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
        return new Spread(median, v[0], v[^1], v.Length);
    }

    /// <summary>Every figure multiplied by <paramref name="factor"/> (> 0: the order of min and max is kept).</summary>
    public Spread Times(double factor) => new(Median * factor, Min * factor, Max * factor, Count);
}
