using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Evaluation;

/// <summary>
/// Turns encoded sequences (START ... END) into model inputs and next-token targets: input = ids[:-1],
/// target = ids[1:], both padded with PAD to the longest sequence in the batch. Padding sits at the end, so with
/// causal attention it never changes the outputs at real positions.
/// </summary>
public static class Batches
{
    /// <summary>
    /// Sequences per forward pass when nothing is trained (accuracy, capture, faithfulness). Small on purpose: on this
    /// model the activations of 32 sequences stay in cache, and glibc keeps what libtorch frees for reuse, so larger
    /// batches only grow the heap. `mirage eval` of a default Dyck model on its 12,000 evaluation sequences: 6.2 s and
    /// 535 MB peak RSS at 32, 7.6 s and 772 MB at 64, 10–11 s and 1.3 GB at 256.
    /// </summary>
    public const int EvalBatchSize = 32;

    public static (Tensor Input, Tensor Target) Make(IReadOnlyList<int[]> sequences)
    {
        int t = sequences.Max(s => s.Length) - 1;
        var input = new long[sequences.Count * t];
        var target = new long[sequences.Count * t];
        for (int b = 0; b < sequences.Count; b++)
        {
            var s = sequences[b];
            for (int p = 0; p < s.Length - 1; p++)
            {
                input[b * t + p] = s[p];
                target[b * t + p] = s[p + 1];
            }
        }
        // PAD is 0, so the untouched tail of each row is already padding.
        return (torch.tensor(input, sequences.Count, t), torch.tensor(target, sequences.Count, t));
    }

    /// <summary>
    /// Indices of <paramref name="count"/> sequences in evaluation batches of at most <paramref name="batchSize"/>,
    /// sorted by length (less padding); yields each batch's indices into the original list.
    /// </summary>
    public static IEnumerable<int[]> ByLength(IReadOnlyList<int[]> sequences, int batchSize, IReadOnlyList<int>? only = null)
    {
        var order = (only ?? Enumerable.Range(0, sequences.Count)).OrderBy(i => sequences[i].Length).ToArray();
        for (int s = 0; s < order.Length; s += batchSize) yield return order[s..Math.Min(order.Length, s + batchSize)];
    }

    public static int[][] Select(IReadOnlyList<int[]> sequences, int[] indices) => indices.Select(i => sequences[i]).ToArray();

    /// <summary>
    /// The tokens a batch made by <see cref="Make"/> predicts, padding excluded (a sequence of length L predicts
    /// L − 1): what training's tokens/s and model FLOP utilisation count.
    /// </summary>
    public static long PredictedTokens(IReadOnlyList<int[]> sequences) => sequences.Sum(s => (long)s.Length - 1);
}
