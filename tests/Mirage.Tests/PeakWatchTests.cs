using System.Runtime.InteropServices;
using Mirage.Native;

namespace Mirage.Tests;

/// <summary>
/// Test classes that run alone, never beside another test: their results depend on nothing else running
/// (resident memory, bitwise determinism).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}

/// <summary>Run alone: another test allocating at the same time would be part of this process's resident memory.</summary>
[Collection(AloneCollection.Name)]
public class PeakWatchTests
{
    const long Block = 256L << 20;

    /// <summary>Maps and touches <see cref="Block"/> bytes of native memory (malloc maps a block this large by itself,
    /// so freeing it gives the pages back).</summary>
    static IntPtr Touch()
    {
        var p = Marshal.AllocHGlobal((nint)Block);
        for (long i = 0; i < Block; i += 4096) Marshal.WriteByte(p, (int)i, 1);
        return p;
    }

    [Fact]
    public void A_stretch_reports_its_own_peak_both_when_it_raises_the_processs_peak_and_when_it_stays_below_an_earlier_one()
    {
        Assert.True(OperatingSystem.IsLinux(), "PeakWatch reads /proc");
        long rss = (long)(ProcessMemory.RssMb * 1024 * 1024);
        long first;
        using (var watch = new PeakWatch())
        {
            var p = Touch();
            first = watch.PeakBytes!.Value;
            Marshal.FreeHGlobal(p);
        }
        // The block was resident at once: this stretch's peak is at least it, above what was resident before.
        Assert.True(first >= rss + Block * 9 / 10, $"peak {first} after touching {Block} bytes on {rss}");
        // A later stretch that allocates nothing: its peak is what it had, not the process's earlier, higher one.
        using var quiet = new PeakWatch();
        Thread.Sleep(3 * PeakWatch.Period);
        long second = quiet.PeakBytes!.Value;
        Assert.True(second <= first - Block / 2, $"a stretch without the block reported {second}, the one with it {first}");
        // The process's own peak (what /usr/bin/time reports) is left as it was: the kernel's counts are approximate
        // by a few MB, so compared within a margin.
        Assert.True(ProcessMemory.PeakRssMb * 1024 * 1024 >= first - Block / 8, $"the process's own peak ({ProcessMemory.PeakRssMb} MB) is left as it was (≥ {first} bytes)");
    }
}
