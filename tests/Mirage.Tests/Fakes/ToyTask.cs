using Mirage.Tasks;

namespace Mirage.Tests.Fakes;

/// <summary>
/// A tiny bracket task for tests that must not depend on the Dyck sampler: two bracket types, sequences generated
/// from a seed, every closer scored (min distance 1). Enough structure for a tiny model to learn something.
/// </summary>
public sealed class ToyTask(bool categorized = false) : ISequenceTask
{
    public string Name => "toy";
    public Vocabulary Vocabulary { get; } = new(["(0", "(1", ")0", ")1"]);
    public IReadOnlyList<int> CandidateIds => [5, 6];
    /// <summary>Categorized: one category per closer type, to exercise the per-category code paths.</summary>
    public IReadOnlyList<string> Categories => categorized ? ["closer_0", "closer_1"] : ["closing_bracket"];
    public Mirage.Model.ModelConfig DefaultModel => new() { DModel = 32, DMlp = 64, ContextLength = 40 };

    public void Score(ReadOnlySpan<int> ids, List<ScoredPosition> into)
    {
        var stack = new Stack<int>();
        for (int i = 1; i < ids.Length - 1; i++)
        {
            if (ids[i] is 3 or 4) { stack.Push(i); continue; }
            int opener = stack.Pop();
            into.Add(new ScoredPosition(i - 1, ids[i], stack.Count + 1, i - opener, categorized ? ids[i] - 5 : 0));
        }
    }

    public static int[] Sample(Random rng, int maxDepth = 4)
    {
        var ids = new List<int> { Vocabulary.StartId };
        var stack = new Stack<int>();
        do
        {
            if (stack.Count > 0 && (stack.Count == maxDepth || ids.Count + stack.Count >= 24 || rng.Next(2) == 0)) ids.Add(stack.Pop() + 2);
            else { int t = 3 + rng.Next(2); stack.Push(t); ids.Add(t); }
        } while (stack.Count > 0 || ids.Count < 5);
        ids.Add(Vocabulary.EndId);
        return ids.ToArray();
    }

    /// <summary>A TaskData with train/iid/unseen_depth splits made from a seed (no files; ManifestSha256 is derived from the seed).</summary>
    public static TaskData Data(int seed = 1, int train = 200, int eval = 40)
    {
        var rng = new Random(seed);
        var tr = Enumerable.Range(0, train).Select(_ => Sample(rng)).ToList();
        var iid = Enumerable.Range(0, eval).Select(_ => Sample(rng)).ToList();
        var deep = Enumerable.Range(0, eval).Select(_ => Sample(rng, 6)).ToList();
        var splits = new Dictionary<string, IReadOnlyList<int[]>> { ["train"] = tr, ["iid"] = iid, ["unseen_depth"] = deep };
        return new TaskData
        {
            Directory = $"toy-{seed}", Task = new ToyTask(), SplitNames = ["train", "iid", "unseen_depth"], Splits = splits,
            MaxDepths = splits.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<int>)kv.Value.Select(MaxDepth).ToList()),
            ManifestSha256 = $"toy-{seed}-{train}-{eval}",
        };
    }

    static int MaxDepth(int[] ids)
    {
        int d = 0, m = 0;
        foreach (var t in ids) { if (t is 3 or 4) m = Math.Max(m, ++d); else if (t is 5 or 6) d--; }
        return m;
    }
}
