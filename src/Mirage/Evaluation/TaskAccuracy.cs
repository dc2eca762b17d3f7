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
        int batchSize = Batches.EvalBatchSize, Hooks? hooks = null) =>
        Evaluate(model, [task], split, sequences, batchSize, hooks)[0];

    /// <summary>
    /// The metric of several tasks on the same sequences (a task and its scoring variants) from one forward pass per
    /// batch: the variants differ only in which positions they score, and a second pass over a whole split computed the
    /// same logits again.
    /// </summary>
    public static IReadOnlyList<SplitAccuracy> Evaluate(HookedTransformer model, IReadOnlyList<ISequenceTask> tasks, string split,
        IReadOnlyList<int[]> sequences, int batchSize = Batches.EvalBatchSize, Hooks? hooks = null)
    {
        using var noGrad = torch.no_grad();
        var tallies = tasks.Select(t => new Tally(t)).ToArray();
        foreach (var idx in Batches.ByLength(sequences, batchSize))
        {
            using var scope = torch.NewDisposeScope();
            var seqs = Batches.Select(sequences, idx);
            var scored = tallies.Select(t => ScoredBatch.Of(t.Task, seqs, idx)).ToArray();
            if (scored.All(sb => sb.Count == 0)) continue;
            var (input, _) = Batches.Make(seqs);
            var logits = hooks is null ? model.forward(input) : model.Run(input, hooks);
            for (int t = 0; t < tallies.Length; t++)
                if (scored[t].Count > 0) tallies[t].Add(scored[t], logits);
        }
        return tallies.Select(t => t.Result(split, sequences.Count)).ToList();
    }

    /// <summary>One task's counts: overall, by depth, by distance and by category.</summary>
    sealed class Tally(ISequenceTask task)
    {
        readonly SortedDictionary<int, (int S, int C)> _depth = new(), _distance = new(), _category = new();
        int _scored, _correct;

        public ISequenceTask Task => task;

        public void Add(ScoredBatch sb, torch.Tensor logits)
        {
            var pred = ScoredBatch.Predict(sb.Gather(logits), task.CandidateIds);
            for (int i = 0; i < sb.Count; i++)
            {
                int ok = pred[i] == sb.Target[i] ? 1 : 0;
                _scored++; _correct += ok;
                TaskAccuracy.Add(_depth, sb.Depth[i], ok); TaskAccuracy.Add(_distance, sb.Distance[i], ok); TaskAccuracy.Add(_category, sb.Category[i], ok);
            }
        }

        public SplitAccuracy Result(string split, int sequences) => new(split, sequences, _scored, _correct, Buckets(_depth), Buckets(_distance), Buckets(_category));

        static List<Bucket> Buckets(SortedDictionary<int, (int S, int C)> d) => d.Select(kv => new Bucket(kv.Key, kv.Value.S, kv.Value.C)).ToList();
    }

    static void Add(SortedDictionary<int, (int S, int C)> d, int key, int ok)
    {
        d.TryGetValue(key, out var v);
        d[key] = (v.S + 1, v.C + ok);
    }
}
