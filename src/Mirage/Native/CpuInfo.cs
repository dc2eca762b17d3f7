using System.Globalization;

namespace Mirage.Native;

/// <summary>
/// Which processor a benchmark ran on, from Linux's /proc/cpuinfo. Every speed figure is a property of the machine as
/// much as of the code: the same build measured an fp32 matrix-product peak of 386 GFLOP/s on one AMD EPYC of this
/// project's machine kind (Zen 5, which executes AVX-512 at full width) and 220 GFLOP/s on another (Zen 4, which splits
/// each AVX-512 instruction in two), and a virtual machine's model name alone ("AMD EPYC") does not tell them apart.
/// So the benchmarks print the CPU family and model beside the name, and the vector extensions that decide which
/// kernels MKL and libtorch run.
/// </summary>
public sealed record CpuInfo(string ModelName, string Vendor, int? Family, int? Model, int LogicalCpus, IReadOnlyList<string> VectorFlags)
{
    /// <summary>The flags that choose kernels here: AVX2, AVX-512 (foundation, VNNI, bf16) and AMX, in this order.</summary>
    static readonly string[] Kernels = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16"];

    /// <summary>This machine's CPU, or null where /proc/cpuinfo cannot be read (not Linux).</summary>
    public static CpuInfo? Read()
    {
        try { return Parse(File.ReadAllText("/proc/cpuinfo")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The first processor's fields, and the count of processors listed.</summary>
    public static CpuInfo? Parse(string text)
    {
        var fields = new Dictionary<string, string>();
        int cpus = 0;
        foreach (var line in text.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            if (key == "processor") cpus++;
            if (cpus == 1) fields.TryAdd(key, line[(colon + 1)..].Trim());
        }
        if (cpus == 0) return null;
        int? Int(string key) => fields.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null;
        var flags = (fields.GetValueOrDefault("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        return new CpuInfo(fields.GetValueOrDefault("model name") ?? "unknown CPU", fields.GetValueOrDefault("vendor_id") ?? "", Int("cpu family"), Int("model"),
            cpus, Kernels.Where(flags.Contains).ToList());
    }

    /// <summary>
    /// AMD's core generation from the family and model numbers (AMD's published ranges), for the EPYC and Ryzen parts
    /// this project's machines use; null for other vendors and numbers, where the model name says more.
    /// </summary>
    public string? Generation => Vendor != "AuthenticAMD" || Family is not int f || Model is not int m ? null : f switch
    {
        23 => m < 0x30 ? "Zen/Zen+" : "Zen 2",
        25 => m is >= 0x10 and < 0x20 or >= 0x60 and < 0x80 or >= 0xA0 and < 0xB0 ? "Zen 4" : "Zen 3",
        26 => "Zen 5",
        _ => null,
    };

    /// <summary>One line: name, generation, family/model, logical CPUs, vector extensions.</summary>
    public override string ToString()
    {
        var id = Family is int f && Model is int m ? $"family {f} model {m}" : "family unknown";
        var gen = Generation is string g ? $"{g}, " : "";
        var vec = VectorFlags.Count > 0 ? string.Join(" ", VectorFlags) : "no AVX2";
        return $"{ModelName} ({gen}{id}), {LogicalCpus} logical CPU{(LogicalCpus == 1 ? "" : "s")}, {vec}";
    }
}
