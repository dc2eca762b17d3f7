namespace Mirage.Benchmarks;

/// <summary>Resident memory of this process from /proc/self/status (Linux), in MB.</summary>
public static class ProcessMemory
{
    public static double PeakRssMb => Read("VmHWM:");
    public static double RssMb => Read("VmRSS:");

    static double Read(string key)
    {
        if (!File.Exists("/proc/self/status")) return double.NaN;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key)) return double.Parse(line[key.Length..].Trim().Split(' ')[0]) / 1024.0;
        return double.NaN;
    }
}
