namespace Mirage.Statistics;

/// <summary>
/// Benjamini–Hochberg control of the false discovery rate over a family of tests: q-values (BH-adjusted p-values);
/// a test is a discovery at rate α when its q-value is at most α. Controls the expected share of false discoveries
/// among the discoveries at α for independent or positively dependent tests.
/// </summary>
public static class BenjaminiHochberg
{
    /// <summary>q_(i) = min over j ≥ i of m · p_(j) / j, capped at 1 (NaN p-values stay NaN and are not counted in m).</summary>
    public static double[] QValues(IReadOnlyList<double> p)
    {
        var idx = Enumerable.Range(0, p.Count).Where(i => double.IsFinite(p[i])).OrderBy(i => p[i]).ThenBy(i => i).ToArray();
        var q = Enumerable.Repeat(double.NaN, p.Count).ToArray();
        int m = idx.Length;
        double running = 1.0;
        for (int r = m - 1; r >= 0; r--)
        {
            running = Math.Min(running, p[idx[r]] * m / (r + 1));
            q[idx[r]] = Math.Min(1.0, running);
        }
        return q;
    }
}
