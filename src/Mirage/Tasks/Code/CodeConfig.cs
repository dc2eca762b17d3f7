namespace Mirage.Tasks.Code;

/// <summary>
/// Every setting of the code-completion data (docs/method.md §1.3, "Code completion"): character windows cut from a source
/// corpus (default: Python 3.11's standard library, pinned to Debian packages), split by file into train / iid, plus the OOD splits deep_nesting
/// (bracket depth above <see cref="MaxTrainDepth"/>) and java (a second language).
/// </summary>
public sealed record CodeConfig
{
    /// <summary>Directories or .zip archives of the in-distribution language. Empty = the pinned Python 3.11 stdlib (<see cref="PinnedCorpus.Python"/>).</summary>
    public IReadOnlyList<string> Corpus { get; init; } = [];
    /// <summary>Directories or .zip archives for the language-shift split. Empty = the pinned JDK 17 src.zip (<see cref="PinnedCorpus.Java"/>; skipped if neither it nor an installed JDK's is found).</summary>
    public IReadOnlyList<string> OodCorpus { get; init; } = [];
    public IReadOnlyList<string> Extensions { get; init; } = [".py"];
    public IReadOnlyList<string> OodExtensions { get; init; } = [".java"];
    /// <summary>Characters per window; the model sees START + window + END.</summary>
    public int Window { get; init; } = 256;
    /// <summary>
    /// Bracket-nesting bound D of train and iid windows. Measured on the pinned Python 3.11 stdlib (543 files read,
    /// 40,292 windows of 256): depth 0: 24.0 %, 1: 53.9 %, 2: 18.4 %, 3: 3.1 %, 4: 0.5 %, 5–7: 0.1 %. D = 2 keeps 96 %
    /// of the windows for training and still leaves 1,482 deeper windows for deep_nesting; D = 3 would leave only 222,
    /// fewer than one default split. (The 668-file stdlib installed here before the pin gave the same picture.)
    /// </summary>
    public int MaxTrainDepth { get; init; } = 2;
    public int Train { get; init; } = 20_000;
    public int PerSplit { get; init; } = 500;
    /// <summary>Share of the corpus files (by a stable hash of their path) held out for iid and deep_nesting.</summary>
    public double IidFraction { get; init; } = 0.1;
    /// <summary>At most this many in-distribution files are read (a seeded subset; 0 = all).</summary>
    public int MaxFiles { get; init; } = 0;
    /// <summary>
    /// At most this many OOD files are read (a seeded subset; 0 = all). The pinned JDK 17 src.zip holds 15,132 .java
    /// files; 400 of them give far more windows than one split needs, in well under a second.
    /// </summary>
    public int MaxOodFiles { get; init; } = 400;
    public int Seed { get; init; } = 0;

    public CodeConfig Validate(string source = "code config")
    {
        void Need(bool ok, string field, string expected, object found)
        { if (!ok) throw new UserError($"{source}: {field} must be {expected}, found {found}"); }
        Need(Window is >= 8 and <= 4096, "window", "between 8 and 4096", Window);
        Need(MaxTrainDepth is >= 0 and <= 100, "max_train_depth", "between 0 and 100", MaxTrainDepth);
        Need(Train >= 1, "train", ">= 1", Train);
        Need(PerSplit >= 1, "per_split", ">= 1", PerSplit);
        Need(IidFraction is > 0 and < 1, "iid_fraction", "strictly between 0 and 1", IidFraction);
        Need(MaxFiles >= 0, "max_files", ">= 0 (0 = all)", MaxFiles);
        Need(MaxOodFiles >= 0, "max_ood_files", ">= 0 (0 = all)", MaxOodFiles);
        Need(Corpus is not null && OodCorpus is not null, "corpus and ood_corpus", "lists of paths", "null");
        foreach (var (field, exts) in new[] { ("extensions", Extensions), ("ood_extensions", OodExtensions) })
        {
            Need(exts is { Count: > 0 }, field, "a non-empty list such as [\".py\"]", "none");
            foreach (var e in exts!) Need(e is { Length: >= 2 } && e[0] == '.', field, "extensions starting with a dot, like \".py\"", $"'{e}'");
        }
        foreach (var p in Corpus!.Concat(OodCorpus!)) Need(!string.IsNullOrWhiteSpace(p), "corpus paths", "non-empty", "an empty path");
        return this;
    }
}
