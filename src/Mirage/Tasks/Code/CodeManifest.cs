namespace Mirage.Tasks.Code;

/// <summary>
/// Per-split facts written to manifest.json. <see cref="Files"/> = distinct source files the windows come from;
/// <see cref="Unk"/> = characters of the split that are not in the (train) vocabulary; <see cref="FromTrainFiles"/>
/// = windows taken from train files (only deep_nesting, when the held-out files have too few deep windows).
/// </summary>
public sealed record CodeSplitInfo(string Name, string File, int Count, int Files, int MinDepth, int MaxDepth, long Unk, int FromTrainFiles, string Sha256) : ISplitEntry;

/// <summary>DIR/manifest.json of a code data directory. Holds no timestamp: the same corpus and seed give the same bytes.</summary>
public sealed record CodeManifest : IDataManifest
{
    public string Task { get; init; } = "code";
    public int FormatVersion { get; init; } = DataManifest.FormatVersion;
    /// <summary>
    /// The config with the corpus paths resolved (for the defaults: the pinned packages' place in this machine's cache,
    /// or the installed corpus read instead). Paths differ between machines; <see cref="CorpusIdentity"/> does not.
    /// </summary>
    public required CodeConfig Config { get; init; }
    public required int Seed { get; init; }
    public required CorpusCounts Corpus { get; init; }
    public CorpusCounts? OodCorpus { get; init; }
    /// <summary>
    /// Where each corpus came from (pinned packages with versions and archive sha256, installed, or given) and the
    /// fingerprint of the files read. Null in manifests written before corpora were pinned; such data still loads.
    /// </summary>
    public CorpusIdentity? CorpusIdentity { get; init; }
    public CorpusIdentity? OodCorpusIdentity { get; init; }
    /// <summary>Corpus files on each side of the hash split.</summary>
    public required int TrainFiles { get; init; }
    public required int HeldOutFiles { get; init; }
    public required IReadOnlyList<CodeSplitInfo> Splits { get; init; }
    /// <summary>Split name → why it is absent (java when no Java sources were found).</summary>
    public required IReadOnlyDictionary<string, string> SkippedSplits { get; init; }
    public required IReadOnlyList<string> Vocabulary { get; init; }
    IReadOnlyList<ISplitEntry> IDataManifest.SplitEntries => Splits;
}
