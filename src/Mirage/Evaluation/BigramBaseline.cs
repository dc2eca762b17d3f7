using Mirage.Tasks;

namespace Mirage.Evaluation;

/// <summary>One row of baseline.csv: the bigram baseline's task accuracy on a split (and on one category of it).</summary>
public sealed record BaselineRow(string Baseline, string Split, string Category, int Scored, int Correct, double? Accuracy);

/// <summary>
/// The floor a trained model should clear: predict the next token from the current one alone, by counting token pairs
/// in the training split. Uses the same scored positions and candidate set as the task metric, so its accuracy reads
/// on the same scale as the model's.
/// </summary>
public sealed class BigramBaseline
{
    readonly int[] _next;   // current token id → predicted next token id

    BigramBaseline(int[] next) => _next = next;

    public static BigramBaseline Fit(ISequenceTask task, IReadOnlyList<int[]> train)
    {
        int v = task.Vocabulary.Count;
        var counts = new long[v, v];
        var unigram = new long[v];
        foreach (var s in train)
            for (int i = 0; i + 1 < s.Length; i++) { counts[s[i], s[i + 1]]++; unigram[s[i + 1]]++; }
        var candidates = task.CandidateIds.Count > 0 ? task.CandidateIds : Enumerable.Range(0, v).ToList();
        // Ties go to the lowest candidate id; a current token never followed by a candidate in train falls back to the
        // most frequent candidate overall.
        int fallback = candidates.OrderByDescending(c => unigram[c]).ThenBy(c => c).First();
        var next = new int[v];
        for (int a = 0; a < v; a++)
        {
            int best = fallback; long bestCount = 0;
            foreach (var c in candidates)
                if (counts[a, c] > bestCount) { best = c; bestCount = counts[a, c]; }
            next[a] = best;
        }
        return new BigramBaseline(next);
    }

    public int Predict(int current) => _next[current];

    /// <summary>Accuracy on every scored position of the split, then per category when the task has several.</summary>
    public IEnumerable<BaselineRow> Evaluate(ISequenceTask task, string split, IReadOnlyList<int[]> sequences)
    {
        int cats = task.Categories.Count;
        var scored = new int[cats]; var correct = new int[cats];
        var positions = new List<ScoredPosition>();
        foreach (var s in sequences)
        {
            positions.Clear();
            task.Score(s, positions);
            foreach (var p in positions)
            {
                scored[p.Category]++;
                if (_next[s[p.Position]] == p.Target) correct[p.Category]++;
            }
        }
        yield return Row(split, "all", scored.Sum(), correct.Sum());
        if (cats > 1)
            for (int c = 0; c < cats; c++) yield return Row(split, task.Categories[c], scored[c], correct[c]);
    }

    static BaselineRow Row(string split, string category, int n, int ok) => new("bigram", split, category, n, ok, n == 0 ? null : (double)ok / n);
}
