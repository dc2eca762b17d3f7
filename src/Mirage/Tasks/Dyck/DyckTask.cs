using Mirage.Model;

namespace Mirage.Tasks.Dyck;

/// <summary>
/// Dyck-(k, m) as the pipeline sees it. Vocabulary: PAD, START, END, <c>(0</c>..<c>(k-1</c>, <c>)0</c>..<c>)k-1</c>.
/// The task metric (Murty et al.) scores every position whose next token is a closer whose opener is at least
/// <c>min_distance</c> positions earlier; the prediction is the argmax over the k closers.
/// </summary>
public sealed class DyckTask : ISequenceTask
{
    public int K { get; }
    public int MinDistance { get; }
    int? ISequenceTask.MinDistance => MinDistance;
    public string Name => "dyck";
    public Vocabulary Vocabulary { get; }
    public IReadOnlyList<int> CandidateIds { get; }
    public IReadOnlyList<string> Categories { get; } = ["closing_bracket"];
    public IReadOnlyList<string> ReferenceSplits { get; } = ["iid", "seen_structure"];
    public int LengthBinWidth => 32;
    public ModelConfig DefaultModel => new();

    public DyckTask(int k, int minDistance = 10)
    {
        K = k; MinDistance = minDistance;
        Vocabulary = new Vocabulary(Enumerable.Range(0, k).Select(i => $"({i}").Concat(Enumerable.Range(0, k).Select(i => $"){i}")));
        CandidateIds = Enumerable.Range(3 + k, k).ToArray();
    }

    public ISequenceTask WithMinDistance(int minDistance) =>
        minDistance >= 1 ? new DyckTask(K, minDistance) : throw new UserError($"--min-distance must be >= 1, found {minDistance}");

    /// <summary>Every closer (distance ≥ 1) beside the task metric's, unless the metric already scores every closer.</summary>
    public IReadOnlyList<ScoringVariant> ScoringVariants => MinDistance > 1
        ? [new ScoringVariant("min_distance_1", new DyckTask(K, 1), "every closing bracket (distance ≥ 1)")]
        : [];

    public int OpenerId(int type) => 3 + type;
    public int CloserId(int type) => 3 + K + type;
    public bool IsOpener(int id) => id >= 3 && id < 3 + K;
    public bool IsCloser(int id) => id >= 3 + K && id < 3 + 2 * K;

    /// <summary>The encoded form (START, tokens, END) of a compact sequence.</summary>
    public int[] Encode(DyckSequence s)
    {
        var ids = new int[s.Length + 2];
        ids[0] = Vocabulary.StartId;
        for (int i = 0; i < s.Length; i++) ids[i + 1] = s.Tokens[i] > 0 ? OpenerId(s.Tokens[i] - 1) : CloserId(-s.Tokens[i] - 1);
        ids[^1] = Vocabulary.EndId;
        return ids;
    }

    public int[] Depths(ReadOnlySpan<int> ids)
    {
        var depths = new int[ids.Length];
        int d = 0;
        for (int p = 0; p < ids.Length; p++) depths[p] = d += IsOpener(ids[p]) ? 1 : IsCloser(ids[p]) ? -1 : 0;
        return depths;
    }

    public void Score(ReadOnlySpan<int> ids, List<ScoredPosition> into)
    {
        Span<int> stack = ids.Length <= 1024 ? stackalloc int[ids.Length] : new int[ids.Length];
        int depth = 0;
        for (int i = 1; i < ids.Length; i++)
        {
            int id = ids[i];
            if (IsOpener(id)) { stack[depth++] = i; continue; }
            if (!IsCloser(id) || depth == 0) continue;
            int opener = stack[--depth];
            int distance = i - opener;
            if (distance >= MinDistance) into.Add(new ScoredPosition(i - 1, id, depth + 1, distance, 0));
        }
    }
}
