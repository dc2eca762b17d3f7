using TorchSharp;
using static TorchSharp.torch;
using Mirage.Tasks;

namespace Mirage.Evaluation;

/// <summary>
/// Turns encoded sequences (START ... END) into model inputs and next-token targets: input = ids[:-1],
/// target = ids[1:], both padded with PAD to the longest sequence in the batch. Padding sits at the end, so with
/// causal attention it never changes the outputs at real positions.
/// </summary>
public static class Batches
{
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
}
