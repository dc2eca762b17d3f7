
namespace Mirage.Tasks.Dyck;

/// <summary>
/// Builds the seven splits (train, validation and five evaluation splits) of docs/method.md §1.2 from one config. Each split draws from its own RNG stream (seeded by the config
/// seed and the split name), so changing one split's size does not change the others.
/// </summary>
public static class DyckSplits
{
    /// <summary>
    /// Every split in file order. <c>validation</c> is drawn like iid (fresh strings of the training distribution) and
    /// only used to stop training, so that iid, the baseline of every gap, is never selected on.
    /// </summary>
    public static readonly string[] Names = ["train", "validation", "iid", "seen_structure", "unseen_structure_short", "unseen_structure_long", "unseen_depth"];

    public static Dictionary<string, List<DyckSequence>> Build(DyckConfig c, IProgress<(string Split, int Done, int Total)>? progress = null)
    {
        c.Validate();
        var result = new Dictionary<string, List<DyckSequence>>();
        var train = new List<DyckSequence>(c.Train);
        var trainSampler = Sampler(c, "train", c.MaxDepth);
        for (int i = 0; i < c.Train; i++) train.Add(trainSampler.Next());
        result["train"] = train;
        progress?.Report(("train", c.Train, c.Train));

        var trainKeys = new HashSet<string>(train.Select(s => s.Key), StringComparer.Ordinal);
        var trainShapes = new HashSet<string>(train.SelectMany(s => s.ComponentShapes()), StringComparer.Ordinal);
        bool Fresh(DyckSequence s) => !trainKeys.Contains(s.Key);
        bool Seen(DyckSequence s) => s.ComponentShapes().All(trainShapes.Contains);

        result["validation"] = Fill(c, "validation", c.MaxDepth, Fresh, progress);
        result["iid"] = Fill(c, "iid", c.MaxDepth, Fresh, progress);
        result["seen_structure"] = Fill(c, "seen_structure", c.MaxDepth, s => Fresh(s) && Seen(s), progress);
        result["unseen_structure_short"] = Fill(c, "unseen_structure_short", c.MaxDepth, s => s.Length <= c.ShortMaxLength && !Seen(s), progress);
        result["unseen_structure_long"] = Fill(c, "unseen_structure_long", c.MaxDepth, s => s.Length > c.ShortMaxLength && !Seen(s), progress);
        result["unseen_depth"] = Fill(c, "unseen_depth", c.DeepBound, s => s.MaxDepth > c.MaxDepth, progress);
        return result;
    }

    static DyckSampler Sampler(DyckConfig c, string split, int depthBound) =>
        new(c.K, depthBound, c.MinLength, c.MaxLength, new Random(StableHash.Of("dyck", c.Seed, split)));

    static List<DyckSequence> Fill(DyckConfig c, string split, int depthBound, Func<DyckSequence, bool> keep,
        IProgress<(string, int, int)>? progress)
    {
        var sampler = Sampler(c, split, depthBound);
        var list = new List<DyckSequence>(c.PerSplit);
        for (long draws = 0; list.Count < c.PerSplit; draws++)
        {
            if (draws >= c.MaxDrawsPerSplit)
                throw new UserError($"split {split} cannot be filled: {list.Count} of {c.PerSplit} sequences after {c.MaxDrawsPerSplit:N0} draws " +
                                    $"(k={c.K}, max_depth={c.MaxDepth}, train={c.Train}); use a larger k or max depth, a smaller train or per_split, or raise max_draws_per_split");
            var s = sampler.Next();
            if (keep(s)) list.Add(s);
        }
        progress?.Report((split, list.Count, c.PerSplit));
        return list;
    }
}
