using System.Globalization;
using System.Runtime.InteropServices;
using Mirage.IO;

namespace Mirage.Statistics;

/// <summary>
/// Which faithfulness cell a vector of per-sequence outcomes belongs to. <see cref="Category"/> is "all" for the whole
/// split, else a category of scored position (code: closing_bracket, repeated_word, other).
/// </summary>
public sealed record OutcomeKey(int Seed, string Proxy, int? Parameter, string Site, int? Head, string Split, string Category, string Metric)
{
    public const string AllCategories = "all";

    /// <summary>Category names of the oracle control's outcomes: the held-out half of a split, scored with the train-fitted and the split-fitted proxy.</summary>
    public const string OracleTrainFit = "oracle:train_fit", OracleSplitFit = "oracle:split_fit";

    /// <summary>The tensor name in outcomes.safetensors, e.g. <c>seed=0/proxy=pca/parameter=16/site=blocks.0.attn/head=0/split=iid/category=all/metric=agreement/numerator</c>.</summary>
    public string TensorName(string part) =>
        $"seed={Seed}/proxy={Proxy}/parameter={Parameter}/site={Site}/head={Head}/split={Split}/category={Category}/metric={Metric}/{part}";

    public static (OutcomeKey Key, string Part)? Parse(string name)
    {
        var fields = name.Split('/');
        if (fields.Length != 9) return null;
        var kv = new Dictionary<string, string>();
        foreach (var f in fields[..8])
        {
            int eq = f.IndexOf('=');
            if (eq < 0) return null;
            kv[f[..eq]] = f[(eq + 1)..];
        }
        string Get(string k) => kv.TryGetValue(k, out var v) ? v : throw new FormatException(k);
        try
        {
            int? Int(string k) => Get(k) == "" ? null : int.Parse(Get(k), CultureInfo.InvariantCulture);
            return (new OutcomeKey(int.Parse(Get("seed"), CultureInfo.InvariantCulture), Get("proxy"), Int("parameter"), Get("site"), Int("head"),
                Get("split"), Get("category"), Get("metric")), fields[8]);
        }
        catch (FormatException) { return null; }
    }
}

/// <summary>
/// One faithfulness cell, per sequence of its split: the metric's numerator and denominator for each sequence (e.g.
/// agreeing positions and scored positions). The split-level value is ΣNumerator / ΣDenominator. Kept so statistics
/// can resample seeds and sequences at report time (docs/results-format.md, outcomes.safetensors).
/// </summary>
public sealed record SequenceOutcomes(OutcomeKey Key, float[] Numerator, float[] Denominator);

/// <summary>
/// RES/outcomes.safetensors: every cell's per-sequence numerators and denominators as float32 vectors named by
/// <see cref="OutcomeKey.TensorName"/>, and each split's sequence lengths (int32, <c>lengths/split=iid</c>).
/// Python: <c>safetensors.numpy.load_file("RES/outcomes.safetensors")</c>.
/// </summary>
public static class OutcomesFile
{
    public const string FileName = "outcomes.safetensors";
    const string LengthsPrefix = "lengths/split=";

    public static void Write(string path, IEnumerable<SequenceOutcomes> cells, IReadOnlyDictionary<string, int[]>? lengths = null) =>
        SafetensorsFile.Write(path, cells.SelectMany(c => new[] { Raw(c.Key.TensorName("numerator"), c.Numerator), Raw(c.Key.TensorName("denominator"), c.Denominator) })
                .Concat((lengths ?? new Dictionary<string, int[]>()).Select(kv => new RawTensor(LengthsPrefix + kv.Key, "I32", [kv.Value.Length], MemoryMarshal.AsBytes(kv.Value.AsSpan()).ToArray()))),
            new Dictionary<string, string> { ["mirage"] = "per-sequence outcomes: value = sum(numerator) / sum(denominator)" });

    static RawTensor Raw(string name, float[] v) => new(name, "F32", [v.Length], MemoryMarshal.AsBytes(v.AsSpan()).ToArray());

    public static List<SequenceOutcomes> Read(string path) => ReadAll(path).Cells;

    /// <summary>The cells and, per split, the sequence lengths (empty for files written before they were kept).</summary>
    public static (List<SequenceOutcomes> Cells, Dictionary<string, int[]> Lengths) ReadAll(string path)
    {
        var (tensors, _) = SafetensorsFile.Read(path);
        var parts = new Dictionary<OutcomeKey, (float[]? Num, float[]? Den)>();
        var order = new List<OutcomeKey>();
        var lengths = new Dictionary<string, int[]>();
        foreach (var t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (t.Name.StartsWith(LengthsPrefix, StringComparison.Ordinal) && t.Dtype == "I32" && t.Shape.Length == 1)
            {
                lengths[t.Name[LengthsPrefix.Length..]] = MemoryMarshal.Cast<byte, int>(t.Data).ToArray();
                continue;
            }
            if (OutcomeKey.Parse(t.Name) is not var (key, part) || part is not ("numerator" or "denominator") || t.Dtype != "F32" || t.Shape.Length != 1)
                throw new UserError($"{path}: tensor '{t.Name}' is not a per-sequence outcome (expected seed=S/proxy=P/parameter=R/site=X/head=H/split=S/category=C/metric=M/numerator|denominator, F32, one dimension)");
            if (!parts.TryGetValue(key, out var p)) { order.Add(key); p = (null, null); }
            parts[key] = part == "numerator" ? (t.AsFloats(), p.Den) : (p.Num, t.AsFloats());
        }
        var cells = new List<SequenceOutcomes>();
        foreach (var key in order)
        {
            var (num, den) = parts[key];
            if (num is null || den is null || num.Length != den.Length)
                throw new UserError($"{path}: cell {key.TensorName("")} needs a numerator and a denominator of one length");
            cells.Add(new SequenceOutcomes(key, num, den));
        }
        return (cells, lengths);
    }
}
