namespace Mirage.Faithfulness;

/// <summary>
/// A metric that is a ratio of sums over the sequences of a split (e.g. agreeing positions / scored positions), kept
/// per sequence so it can be bootstrapped over sequences — the unit that was sampled.
/// </summary>
public sealed class RatioStat(int sequences)
{
    public double[] Numerator { get; } = new double[sequences];
    public double[] Denominator { get; } = new double[sequences];

    public int Sequences => Numerator.Length;

    public void Add(int sequence, double numerator, double denominator = 1)
    {
        Numerator[sequence] += numerator;
        Denominator[sequence] += denominator;
    }

    public double Total => Denominator.Sum();

    /// <summary>The metric over the whole split; null when nothing was counted.</summary>
    public double? Value
    {
        get { double d = Denominator.Sum(); return d == 0 ? null : Numerator.Sum() / d; }
    }
}
