namespace Mirage.Evaluation;

/// <summary>
/// Sequence lengths in bins of equal width (Dyck: 32 tokens: ≤ 32, 33–64, 65–96, 97–128), to tell a depth effect
/// from a length effect: unseen-depth strings are also longer, and long strings are rare in training. A bin is
/// named by its upper bound.
/// </summary>
public static class LengthBins
{
    /// <summary>The bin's upper bound: with width 32, lengths 1–32 → 32, 33–64 → 64, ...</summary>
    public static int Of(int length, int width) => (Math.Max(length, 1) - 1) / width * width + width;

    /// <summary>"≤ 32", "33–64", ...</summary>
    public static string Label(int upper, int width) => upper <= width ? $"≤ {upper}" : $"{upper - width + 1}–{upper}";

    /// <summary>The breakdown name of depth within one length bin: <c>depth_in_length_33_64</c>.</summary>
    public static string DepthBreakdown(int upper, int width) => $"depth_in_length_{Math.Max(0, upper - width + 1)}_{upper}";

    /// <summary>The length of an encoded sequence (START and END not counted).</summary>
    public static int LengthOf(int[] encoded) => encoded.Length - 2;
}
