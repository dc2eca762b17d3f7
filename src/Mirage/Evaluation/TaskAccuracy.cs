using TorchSharp;
using Mirage.Model;
using Mirage.Tasks;

namespace Mirage.Evaluation;

/// <summary>Correct / scored for one group of scored positions (a whole split, one depth, one distance).</summary>
public sealed record Bucket(int Key, int Scored, int Correct)
{
    /// <summary>null when nothing was scored (JSON null, NaN in pandas).</summary>
    public double? Accuracy => Scored == 0 ? null : (double)Correct / Scored;
}

/// <summary>The task metric on one split, with its breakdowns by depth, by distance to the opener and by category.</summary>
public sealed record SplitAccuracy(string Split, int Sequences, int Scored, int Correct, IReadOnlyList<Bucket> ByDepth, IReadOnlyList<Bucket> ByDistance,
    IReadOnlyList<Bucket> ByCategory)
{
    public double? Accuracy => Scored == 0 ? null : (double)Correct / Scored;
}

/// <summary>
/// The task metric (docs/method.md §1.2 for Dyck, §1.3 for code): at every scored position, the argmax over the task's candidate
/// tokens must equal the target. Optional hooks evaluate a model with a proxy spliced in.
/// </summary>
public static class TaskAccuracy
{
    public static SplitAccuracy Evaluate(HookedTransformer model, ISequenceTask task, string split, IReadOnlyList<int[]> sequences,
        int batchSize = Batches.EvalBatchSize, Hooks? hooks = null)
    {
        using var noGrad = torch.no_grad();
        var depth = new SortedDictionary<int, (int S, int C)>();
        var distance = new SortedDictionary<int, (int S, int C)>();
        var category = new SortedDictionary<int, (int S, int C)>();
        int scored = 0, correct = 0;
        foreach (var idx in Batches.ByLength(sequences, batchSize))
        {
            using var scope = torch.NewDisposeScope();
            var seqs = Batches.Select(sequences, idx);
            var sb = ScoredBatch.Of(task, seqs, idx);
            if (sb.Count == 0) continue;
            var (input, _) = Batches.Make(seqs);
            var logits = hooks is null ? model.forward(input) : model.Run(input, hooks);
            var pred = ScoredBatch.Predict(sb.Gather(logits), task.CandidateIds);
            for (int i = 0; i < sb.Count; i++)
            {
                int ok = pred[i] == sb.Target[i] ? 1 : 0;
                scored++; correct += ok;
                Add(depth, sb.Depth[i], ok); Add(distance, sb.Distance[i], ok); Add(category, sb.Category[i], ok);
            }
        }
        return new SplitAccuracy(split, sequences.Count, scored, correct,
            depth.Select(kv => new Bucket(kv.Key, kv.Value.S, kv.Value.C)).ToList(),
            distance.Select(kv => new Bucket(kv.Key, kv.Value.S, kv.Value.C)).ToList(),
            category.Select(kv => new Bucket(kv.Key, kv.Value.S, kv.Value.C)).ToList());
    }

    static void Add(SortedDictionary<int, (int S, int C)> d, int key, int ok)
    {
        d.TryGetValue(key, out var v);
        d[key] = (v.S + 1, v.C + ok);
    }
}
