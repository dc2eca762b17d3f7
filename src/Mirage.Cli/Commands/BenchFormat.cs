using System.Globalization;
using Mirage.Benchmarks;
using Spectre.Console;

namespace Mirage.Cli.Commands;

/// <summary>
/// How <c>mirage bench</c> writes its figures: a median with its range in parentheses, short enough that every table
/// fits an 80-column terminal (Spectre cuts a header it cannot fit to "hook-…").
/// </summary>
internal static class BenchFormat
{
    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Thousands with one decimal: 34.2k.</summary>
    public static string K(double v) => (v / 1000).ToString("F1", C) + "k";

    /// <summary>"34.2k (31.0–35.1)": a throughput in thousands with its range.</summary>
    public static string K(Spread s) => $"{K(s.Median)} ({(s.Min / 1000).ToString("F1", C)}–{(s.Max / 1000).ToString("F1", C)})";

    /// <summary>"33.0% (30.1–34.2)": a share (1 = 100 %) with its range.</summary>
    public static string Pct(Spread s) => $"{(s.Median * 100).ToString("F1", C)}% ({(s.Min * 100).ToString("F1", C)}–{(s.Max * 100).ToString("F1", C)})";

    /// <summary>"+2.1% (−3.0…+5.2)": a signed change with its range (… since a range of signed figures with an en dash reads as a minus).</summary>
    public static string Change(Spread s) => $"{Signed(s.Median)}% ({Signed(s.Min)}…{Signed(s.Max)})";

    static string Signed(double share) => (share * 100).ToString("+0.0;−0.0;0.0", C);

    /// <summary>"x1.02 (0.95–1.10)": a ratio with its range.</summary>
    public static string Ratio(Spread s) => $"x{s.Median.ToString("F2", C)} ({s.Min.ToString("F2", C)}–{s.Max.ToString("F2", C)})";

    /// <summary>"1.23 (1.20–1.31)": seconds with their range (two decimals below 100 s).</summary>
    public static string Seconds(Spread s)
    {
        string F(double v) => v.ToString(v >= 100 ? "F0" : v >= 10 ? "F1" : "F2", C);
        return $"{F(s.Median)} ({F(s.Min)}–{F(s.Max)})";
    }

    /// <summary>"250 (240–262)": GFLOP/s with their range.</summary>
    public static string Gflops(Spread s) => $"{s.Median.ToString("F0", C)} ({s.Min.ToString("F0", C)}–{s.Max.ToString("F0", C)})";

    /// <summary>A table with the settings every bench table shares (left-aligned title, no expansion).</summary>
    public static Table Table(string title, params string[] columns)
    {
        var t = new Table { Title = new TableTitle(Markup.Escape(title)) };
        foreach (var c in columns) t.AddColumn(new TableColumn(Markup.Escape(c)));
        return t;
    }

    /// <summary>The 1-minute load average, for the header and footer of a run ("load average 9.53 on 2 cores").</summary>
    public static string Load() =>
        MachineLoad.OneMinute is double l ? $"load average {l.ToString("F2", C)} on {Environment.ProcessorCount} cores" : "load average unknown";
}
