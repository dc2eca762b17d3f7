namespace Mirage.Native;

/// <summary>Resident memory of this process from /proc/self/status (Linux), in MB of 2^20 bytes; NaN elsewhere.</summary>
public static class ProcessMemory
{
    /// <summary>The largest resident set the process has had (VmHWM): what <c>/usr/bin/time -v</c> reports at its end.</summary>
    public static double PeakRssMb => Read("VmHWM:");
    public static double RssMb => Read("VmRSS:");

    static double Read(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal)) return double.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // no /proc: not Linux
        return double.NaN;
    }
}

/// <summary>
/// The peak resident memory of one stretch of a run (a study task, when one process runs several), without resetting
/// the process's own peak — resetting it (<c>/proc/self/clear_refs</c>) would also hide the earlier peak from
/// <c>/usr/bin/time</c>. When the stretch raises the process's peak, that new peak is its peak, exactly; otherwise its
/// peak is at most the earlier one, and the largest of samples taken every <see cref="Period"/> stands for it.
/// </summary>
public sealed class PeakWatch : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    readonly double _before = ProcessMemory.PeakRssMb;
    readonly Timer _timer;
    readonly object _gate = new();
    double _sampled = ProcessMemory.RssMb;

    public PeakWatch() => _timer = new Timer(_ => Sample(), null, Period, Period);

    void Sample()
    {
        double r = ProcessMemory.RssMb;
        lock (_gate) if (r > _sampled) _sampled = r;
    }

    /// <summary>The stretch's peak so far, in bytes (null where /proc is not there).</summary>
    public long? PeakBytes
    {
        get
        {
            Sample();
            double now = ProcessMemory.PeakRssMb, mib;
            lock (_gate) mib = now > _before ? now : _sampled;
            return double.IsFinite(mib) ? (long)Math.Round(mib * 1024 * 1024) : null;
        }
    }

    public void Dispose() => _timer.Dispose();
}
