using System.Globalization;

namespace Mirage.Benchmarks;

/// <summary>
/// How busy the machine is (Linux /proc/loadavg), printed beside every benchmark: on a shared machine a figure means
/// little without the load it was measured under.
/// </summary>
public static class MachineLoad
{
    /// <summary>The 1-minute load average (runnable and waiting processes), or null where there is no /proc/loadavg.</summary>
    public static double? OneMinute
    {
        get
        {
            try
            {
                var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
                return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        }
    }
}
