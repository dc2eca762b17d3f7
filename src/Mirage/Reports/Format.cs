using System.Globalization;

namespace Mirage.Reports;

/// <summary>Number formatting shared by the report and the CLI tables.</summary>
public static class Format
{
    /// <summary>A signed value to 3 decimals ("+0.012", "-0.004"); values that round to zero print "+0.000", never "-+0.000".</summary>
    public static string Signed(double v) => (Math.Round(v, 3) + 0.0).ToString("+0.000;-0.000", CultureInfo.InvariantCulture);

    /// <summary>A value to <paramref name="digits"/> decimals, invariant culture.</summary>
    public static string F(double v, int digits = 3) => v.ToString("F" + digits, CultureInfo.InvariantCulture);

    /// <summary>"[0.012, 0.034]" or "" when the interval is missing.</summary>
    public static string Interval(double? low, double? high, int digits = 3) =>
        low is double l && high is double h ? $"[{F(l, digits)}, {F(h, digits)}]" : "";

    /// <summary>"0.04–0.10" for a range of values (or one value when they round alike).</summary>
    public static string Range(IEnumerable<double> values, int digits = 2)
    {
        var v = values.ToList();
        string lo = F(v.Min(), digits), hi = F(v.Max(), digits);
        return lo == hi ? lo : $"{lo}–{hi}";
    }
}
