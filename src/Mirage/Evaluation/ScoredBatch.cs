using TorchSharp;
using static TorchSharp.torch;
using Mirage.Tasks;

namespace Mirage.Evaluation;

/// <summary>
/// The scored positions of one batch, flattened: for each, the batch row, the input position whose logits predict
/// it, and the task's labels (target, depth, distance, category) plus which sequence (index into the split) it is in.
/// <see cref="Gather"/> pulls those positions' logits out of a [batch, pos, vocab] tensor.
/// </summary>
public sealed class ScoredBatch
{
    public required int[] Row { get; init; }
    public required int[] Pos { get; init; }
    public required int[] Target { get; init; }
    public required int[] Depth { get; init; }
    public required int[] Distance { get; init; }
    public required int[] Category { get; init; }
    public required int[] Sequence { get; init; }
    /// <summary>The length of the sequence each position is in (tokens, START and END not counted).</summary>
    public required int[] Length { get; init; }

    public int Count => Row.Length;

    public static ScoredBatch Of(ISequenceTask task, IReadOnlyList<int[]> sequences, int[] sequenceIndices)
    {
        var list = new List<ScoredPosition>();
        var row = new List<int>(); var seq = new List<int>(); var len = new List<int>();
        for (int b = 0; b < sequences.Count; b++)
        {
            int before = list.Count;
            task.Score(sequences[b], list);
            for (int i = before; i < list.Count; i++) { row.Add(b); seq.Add(sequenceIndices[b]); len.Add(LengthBins.LengthOf(sequences[b])); }
        }
        return new ScoredBatch
        {
            Row = row.ToArray(), Sequence = seq.ToArray(), Length = len.ToArray(),
            Pos = list.Select(s => s.Position).ToArray(), Target = list.Select(s => s.Target).ToArray(),
            Depth = list.Select(s => s.Depth).ToArray(), Distance = list.Select(s => s.Distance).ToArray(),
            Category = list.Select(s => s.Category).ToArray(),
        };
    }

    /// <summary>[scored, vocab] logits at the scored positions (for one pass; several passes over a batch share one
    /// <see cref="FlatIndex"/>).</summary>
    public Tensor Gather(Tensor logits)
    {
        using var rows = FlatIndex(logits.shape[1]);
        return GatherFlat(logits, rows);
    }

    /// <summary>
    /// The scored positions as rows of the flattened [batch × pos, vocab] logits of a batch padded to <paramref name="positions"/>:
    /// made once per batch, then <see cref="GatherFlat"/> takes every pass's scored logits with one index_select.
    /// </summary>
    public Tensor FlatIndex(long positions) => torch.tensor(FlatRows(positions));

    long[] FlatRows(long positions) => Row.Select((r, i) => r * positions + Pos[i]).ToArray();

    /// <summary>
    /// For a pass that computes logits only where something is scored (<see cref="Model.HookedTransformer.Run"/>'s
    /// rows): <c>Union</c>, the flat rows any of <paramref name="scorings"/> (of one batch of <paramref name="batch"/>
    /// sequences padded to <paramref name="positions"/>) scores, ascending, and <c>Within[s]</c>, where scoring s's
    /// positions are among them — so that <see cref="GatherFlat"/>(that pass's logits, Within[s]) is what it takes of
    /// a whole pass. When the scorings score more than three quarters of the positions (the code task scores every
    /// character, all but the position that predicts END), a cut would leave little out, and its products, on a matrix
    /// of another height, may round differently in the last bit: then <c>Union</c> is null, for a whole pass, and
    /// <c>Within[s]</c> are scoring s's flat rows (<see cref="FlatIndex"/>), so that such a task's results are those of
    /// whole passes, bit for bit. Dyck scores the closing brackets, about half of the positions.
    /// </summary>
    public static (Tensor? Union, Tensor[] Within) UnionRows(IReadOnlyList<ScoredBatch> scorings, long batch, long positions)
    {
        var flat = scorings.Select(sb => sb.FlatRows(positions)).ToArray();
        var union = flat.SelectMany(f => f).Distinct().Order().ToArray();
        if (4L * union.Length > 3L * batch * positions) return (null, flat.Select(f => torch.tensor(f)).ToArray());
        // The union is sorted, so a row's place in it is a binary search.
        return (torch.tensor(union), flat.Select(f => torch.tensor(f.Select(r => (long)Array.BinarySearch(union, r)).ToArray())).ToArray());
    }

    /// <summary>[scored, vocab] logits at the positions of <paramref name="flatIndex"/> (<see cref="FlatIndex"/>).</summary>
    public static Tensor GatherFlat(Tensor logits, Tensor flatIndex) => logits.reshape(-1, logits.shape[^1]).index_select(0, flatIndex);

    /// <summary>
    /// The task metric's prediction at each scored position: argmax over the candidate ids (Dyck: the closers),
    /// or over the whole vocabulary when the task has no candidate set. Returns token ids.
    /// </summary>
    public static long[] Predict(Tensor scoredLogits, IReadOnlyList<int> candidateIds)
    {
        if (scoredLogits.shape[0] == 0) return [];
        if (candidateIds.Count == 0) return scoredLogits.argmax(-1).data<long>().ToArray();
        // Candidates that are a run of consecutive ids (Dyck's closers) are a view of the logits, not a copy.
        bool consecutive = candidateIds.Select((id, i) => id - i).Distinct().Count() == 1;
        using var cand = consecutive ? null : torch.tensor(candidateIds.Select(x => (long)x).ToArray());
        using var restricted = consecutive ? scoredLogits.narrow(-1, candidateIds[0], candidateIds.Count) : scoredLogits.index_select(-1, cand!);
        using var arg = restricted.argmax(-1);
        var a = arg.data<long>().ToArray();
        for (int i = 0; i < a.Length; i++) a[i] = candidateIds[(int)a[i]];
        return a;
    }
}
