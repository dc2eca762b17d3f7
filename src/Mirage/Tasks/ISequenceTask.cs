using Mirage.Model;

namespace Mirage.Tasks;

/// <summary>
/// One position the task metric scores. The model's logits at input position <see cref="Position"/> predict the token
/// at <c>Position + 1</c>, which is <see cref="Target"/>. <see cref="Depth"/> and <see cref="Distance"/> are the
/// breakdown keys (Dyck: nesting depth of the bracket being closed, and closer index minus opener index);
/// <see cref="Category"/> indexes <see cref="ISequenceTask.Categories"/>.
/// </summary>
public readonly record struct ScoredPosition(int Position, int Target, int Depth, int Distance, int Category);

/// <summary>
/// What the generic pipeline (training, evaluation, proxies, faithfulness, reports) needs to know about a task.
/// Sequences are token ids with START first and END last (see <see cref="Vocabulary.Encode"/>).
/// </summary>
public interface ISequenceTask
{
    /// <summary>Short name, e.g. "dyck", as written in manifests and checkpoints.</summary>
    string Name { get; }

    Vocabulary Vocabulary { get; }

    /// <summary>The ids the task metric takes its argmax over (Dyck: the k closers). Empty = the whole vocabulary.</summary>
    IReadOnlyList<int> CandidateIds { get; }

    /// <summary>Names for <see cref="ScoredPosition.Category"/> (Dyck: just "closing_bracket").</summary>
    IReadOnlyList<string> Categories { get; }

    /// <summary>
    /// The task's default model shape (docs/method.md §2; Dyck: 2 layers, 1 head, d_model 128; code: d_model 256, 4 heads,
    /// context 256). <c>mirage train</c> starts from it; a config file and flags override it.
    /// </summary>
    ModelConfig DefaultModel { get; }

    /// <summary>The out-of-distribution split that tests deeper nesting (Dyck: unseen_depth; code: deep_nesting).</summary>
    string DeepSplit => "unseen_depth";

    /// <summary>
    /// The splits a gap can be measured against, the in-distribution one first. Dyck adds seen_structure, the strings
    /// of seen structure that Murty et al. validate on: iid holds fresh strings of the training distribution, about a
    /// third of them long strings of unseen structure, so a gap to iid and a gap to seen_structure answer different questions.
    /// </summary>
    IReadOnlyList<string> ReferenceSplits => ["iid"];

    /// <summary>
    /// Width of the length bins that faithfulness is broken down by, to tell depth from length (Dyck: 32 tokens);
    /// 0 = the task's sequences all have one length (code windows) and no such breakdown is made.
    /// </summary>
    int LengthBinWidth => 0;

    /// <summary>
    /// Other rules for which positions to score, measured beside the task metric on the same forward passes (Dyck:
    /// <c>min_distance_1</c>, every closing bracket — Murty et al.'s evaluation code in effect scores every closer).
    /// </summary>
    IReadOnlyList<ScoringVariant> ScoringVariants => [];

    /// <summary>The minimum opener–closer distance the task metric scores, or null for a task without one.</summary>
    int? MinDistance => null;

    /// <summary>The same task scoring closers at least <paramref name="minDistance"/> back (<c>--min-distance</c>).</summary>
    ISequenceTask WithMinDistance(int minDistance) => throw new UserError($"--min-distance: the {Name} task does not score by distance");

    /// <summary>Splits whose first suitable sequence the report shows attention maps for.</summary>
    IReadOnlyList<string> ExampleSplits => ["iid", DeepSplit];

    /// <summary>
    /// Bracket nesting depth after each token of an encoded sequence (for colouring keys and queries by depth);
    /// zeros for a task without brackets.
    /// </summary>
    int[] Depths(ReadOnlySpan<int> ids) => new int[ids.Length];

    /// <summary>Appends the scored positions of one encoded sequence to <paramref name="into"/>, in position order.</summary>
    void Score(ReadOnlySpan<int> ids, List<ScoredPosition> into);
}

/// <summary>
/// A task's data as loaded from a data directory: the task, and each split's sequences encoded as ids
/// (START ... END). <see cref="SplitNames"/> lists "train" first, then the evaluation splits in report order.
/// </summary>
public sealed class TaskData
{
    public required string Directory { get; init; }
    public required ISequenceTask Task { get; init; }
    public required IReadOnlyList<string> SplitNames { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyList<int[]>> Splits { get; init; }
    /// <summary>Per split, per sequence: its maximum nesting depth (for depth breakdowns and plots).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<int>> MaxDepths { get; init; }
    /// <summary>sha256 of the manifest file: identifies the dataset in checkpoints and stage hashes.</summary>
    public required string ManifestSha256 { get; init; }

    public const string Validation = "validation";

    /// <summary>The evaluation splits: every split but train and validation (which only training looks at).</summary>
    public IEnumerable<string> EvalSplits => SplitNames.Where(s => s != "train" && s != Validation);

    /// <summary>The split training measures accuracy on and stops on: validation, or the first evaluation split (iid) for data without one.</summary>
    public string ValidationSplit => Splits.ContainsKey(Validation) ? Validation : EvalSplits.First();

    /// <summary>The same data scored by another task object (e.g. <see cref="ISequenceTask.WithMinDistance"/>).</summary>
    public TaskData WithTask(ISequenceTask task) => new()
    {
        Directory = Directory, Task = task, SplitNames = SplitNames, Splits = Splits, MaxDepths = MaxDepths, ManifestSha256 = ManifestSha256,
    };

    /// <summary>Longest encoded sequence over all splits (START and END included).</summary>
    public int MaxEncodedLength => Splits.Values.SelectMany(s => s).Select(s => s.Length).DefaultIfEmpty(0).Max();
}
