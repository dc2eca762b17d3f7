
namespace Mirage.Tasks.Code;

/// <summary>Everything <see cref="CodeSplits.Build"/> produced: the windows of each split and what reading found.</summary>
public sealed class CodeDataset
{
    public required CodeConfig Config { get; init; }
    /// <summary>Split names in report order: train, iid, deep_nesting, then java unless it was skipped.</summary>
    public required IReadOnlyList<string> SplitNames { get; init; }
    public required IReadOnlyDictionary<string, List<CodeWindow>> Splits { get; init; }
    public required CorpusCounts Corpus { get; init; }
    public CorpusCounts? OodCorpus { get; init; }
    /// <summary>Where each corpus came from, with the fingerprint of the files read.</summary>
    public required CorpusIdentity CorpusIdentity { get; init; }
    public CorpusIdentity? OodCorpusIdentity { get; init; }
    public required int TrainFiles { get; init; }
    public required int HeldOutFiles { get; init; }
    /// <summary>Windows of deep_nesting taken from train files because the held-out files had too few.</summary>
    public required int DeepFromTrainFiles { get; init; }
    /// <summary>Split name → why it was skipped (only java can be).</summary>
    public required IReadOnlyDictionary<string, string> Skipped { get; init; }
    public required Vocabulary Vocabulary { get; init; }
}

/// <summary>
/// Builds the code splits. Files go to train or held-out by a stable hash of their relative path (independent of the
/// seed, so a file never changes sides between seeds); each file is cut into non-overlapping windows; each split is a
/// seeded sample of the windows that meet its definition:
/// <list type="bullet">
/// <item>train: train files, depth ≤ max_train_depth</item>
/// <item>iid: held-out files, depth ≤ max_train_depth</item>
/// <item>deep_nesting: depth > max_train_depth, from held-out files first and, when they have too few (deep windows
/// are rare), from train files. Such windows are never in train, which is filtered by depth, so the split stays
/// unseen; the manifest records how many came from train files.</item>
/// <item>java: windows of the OOD corpus with depth ≤ max_train_depth, so the split shifts the language only, not the
/// nesting as well (deep_nesting tests that on its own).</item>
/// </list>
/// </summary>
public static class CodeSplits
{
    public static readonly string[] Names = ["train", "iid", "deep_nesting", "java"];
    public const string Unk = "<unk>";

    /// <summary>Builds from corpora given as paths; an empty ood_corpus skips java.</summary>
    public static CodeDataset Build(CodeConfig c, string? oodSkipped = null) => Build(CodeCorpora.Given(c, oodSkipped));

    /// <summary>Builds from resolved corpora (<see cref="CodeDefaults.Resolve"/>); an empty ood_corpus skips java.</summary>
    public static CodeDataset Build(CodeCorpora corpora)
    {
        var c = corpora.Config.Validate();
        if (c.Corpus.Count == 0) throw new ArgumentException("corpus must be resolved before building splits");
        var (files, counts, filesSha) = CodeCorpus.Read(c.Corpus, c.Extensions, c.MaxFiles, c.Seed, "corpus");
        var train = files.Where(f => !IsHeldOut(f.Path, c.IidFraction)).ToList();
        var held = files.Where(f => IsHeldOut(f.Path, c.IidFraction)).ToList();
        if (train.Count == 0 || held.Count == 0)
            throw new UserError($"corpus: after the hash split of {files.Count} files (iid_fraction {c.IidFraction}) no file is left for " +
                                $"{(train.Count == 0 ? "train" : "iid")}; add files or change iid_fraction");

        int d = c.MaxTrainDepth;
        var trainWindows = Cut(train, c.Window);
        var heldWindows = Cut(held, c.Window);
        var splits = new Dictionary<string, List<CodeWindow>>
        {
            ["train"] = Sample(c, "train", trainWindows.Where(w => w.Depth <= d).ToList(), c.Train, train, $"windows of depth <= {d} in {train.Count} train files; lower --train, raise --max-train-depth, or add files"),
            ["iid"] = Sample(c, "iid", heldWindows.Where(w => w.Depth <= d).ToList(), c.PerSplit, held, $"windows of depth <= {d} in {held.Count} held-out files; lower --per-split, raise iid_fraction or --max-train-depth, or add files"),
        };

        var heldDeep = heldWindows.Where(w => w.Depth > d).ToList();
        var trainDeep = trainWindows.Where(w => w.Depth > d).ToList();
        if (heldDeep.Count + trainDeep.Count < c.PerSplit)
            throw new UserError($"split deep_nesting cannot be filled: {c.PerSplit} windows requested, {heldDeep.Count + trainDeep.Count} available " +
                                $"(windows deeper than max_train_depth {d} in all {files.Count} files); lower --max-train-depth or --per-split, or add files");
        var deep = Sample(c, "deep_nesting", heldDeep, Math.Min(c.PerSplit, heldDeep.Count), held, "");
        int fromTrain = c.PerSplit - deep.Count;
        if (fromTrain > 0) deep.AddRange(Sample(c, "deep_nesting/train_files", trainDeep, fromTrain, train, ""));
        splits["deep_nesting"] = deep;

        var skipped = new Dictionary<string, string>();
        CorpusCounts? oodCounts = null;
        CorpusIdentity? oodId = null;
        if (c.OodCorpus.Count > 0)
        {
            var (ood, oc, oodSha) = CodeCorpus.Read(c.OodCorpus, c.OodExtensions, c.MaxOodFiles, c.Seed, "ood_corpus");
            oodCounts = oc;
            oodId = (corpora.OodCorpus ?? new CorpusIdentity { Origin = CorpusOrigin.Given }) with { FilesSha256 = oodSha };
            splits["java"] = Sample(c, "java", Cut(ood, c.Window).Where(w => w.Depth <= d).ToList(), c.PerSplit, ood,
                $"windows of {c.Window} characters and depth <= {d} in {ood.Count} OOD files; lower --per-split, raise max_ood_files, or add files");
        }
        else skipped["java"] = corpora.OodSkipped ?? "no ood_corpus";

        var seen = new bool[char.MaxValue + 1];
        foreach (var w in splits["train"]) foreach (var ch in w.Text) seen[ch] = true;
        var tokens = Enumerable.Range(0, seen.Length).Where(i => seen[i]).Select(i => ((char)i).ToString()).Append(Unk);

        return new CodeDataset
        {
            Config = c, SplitNames = Names.Where(splits.ContainsKey).ToList(), Splits = splits, Corpus = counts, OodCorpus = oodCounts,
            CorpusIdentity = corpora.Corpus with { FilesSha256 = filesSha }, OodCorpusIdentity = oodId,
            TrainFiles = train.Count, HeldOutFiles = held.Count, DeepFromTrainFiles = fromTrain, Skipped = skipped,
            Vocabulary = new Vocabulary(tokens),
        };
    }

    /// <summary>
    /// The identities of resolved corpora with the fingerprints of the files a build would read (the same selection:
    /// extensions, max_files subset, skipped files), without building: what `reproduce code` hashes into its data
    /// stage and the rerun check compares, so a changed corpus is never taken for the one the data was built from.
    /// </summary>
    public static (CorpusIdentity Corpus, CorpusIdentity? OodCorpus) Identify(CodeCorpora corpora)
    {
        var c = corpora.Config;
        var corpus = corpora.Corpus with { FilesSha256 = CodeCorpus.Read(c.Corpus, c.Extensions, c.MaxFiles, c.Seed, "corpus").FilesSha256 };
        var ood = c.OodCorpus.Count == 0 ? null
            : (corpora.OodCorpus ?? new CorpusIdentity { Origin = CorpusOrigin.Given }) with
            { FilesSha256 = CodeCorpus.Read(c.OodCorpus, c.OodExtensions, c.MaxOodFiles, c.Seed, "ood_corpus").FilesSha256 };
        return (corpus, ood);
    }

    /// <summary>64-bit FNV-1a of the UTF-8 bytes: the same on every machine and run (unlike string.GetHashCode).</summary>
    public static ulong PathHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>True when the file at this relative path is held out (iid / deep_nesting); independent of the seed.</summary>
    public static bool IsHeldOut(string relativePath, double iidFraction) =>
        PathHash(relativePath) % 1_000_000UL < (ulong)Math.Round(iidFraction * 1_000_000);

    readonly record struct Cut1(int File, int Offset, int Depth);

    /// <summary>Non-overlapping windows at offsets 0, w, 2w, ... of each file; the tail shorter than w is dropped.</summary>
    static List<Cut1> Cut(List<SourceFile> files, int w)
    {
        var list = new List<Cut1>();
        for (int f = 0; f < files.Count; f++)
        {
            var text = files[f].Text;
            for (int o = 0; o + w <= text.Length; o += w) list.Add(new Cut1(f, o, Brackets.MaxDepth(text.AsSpan(o, w))));
        }
        return list;
    }

    /// <summary>A seeded sample (partial Fisher–Yates) of <paramref name="n"/> candidates; each split has its own stream.</summary>
    static List<CodeWindow> Sample(CodeConfig c, string stream, List<Cut1> candidates, int n, List<SourceFile> files, string what)
    {
        if (candidates.Count < n)
            throw new UserError($"split {stream} cannot be filled: {n} windows requested, {candidates.Count} available ({what})");
        var rng = new Random(StableHash.Of("code", c.Seed, stream));
        var pool = candidates.ToArray();
        var result = new List<CodeWindow>(n);
        for (int i = 0; i < n; i++)
        {
            int j = rng.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
            var p = pool[i];
            result.Add(new CodeWindow(files[p.File].Path, p.Offset, files[p.File].Text.Substring(p.Offset, c.Window), p.Depth));
        }
        return result;
    }
}
