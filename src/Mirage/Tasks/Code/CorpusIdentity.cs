namespace Mirage.Tasks.Code;

/// <summary>
/// What a corpus was, written to the data manifest so that two machines can compare: its origin, the Debian packages
/// it was unpacked from (pinned corpora only) and, for every corpus, <see cref="FilesSha256"/>: the sha256 of the list
/// of files actually read (<see cref="CodeCorpus.Fingerprint"/>). Equal fingerprints and settings give byte-identical
/// splits; a different fingerprint says that the corpus, not the code, differs.
/// </summary>
public sealed record CorpusIdentity
{
    public required CorpusOrigin Origin { get; init; }
    /// <summary>The packages of a pinned corpus, in the order they were unpacked; empty otherwise.</summary>
    public IReadOnlyList<DebianPackage> Packages { get; init; } = [];
    /// <summary>sha256 of the lines <c>"&lt;sha256 of the file's bytes&gt;  &lt;relative path&gt;\n"</c> of the files read, in ordinal order of path.</summary>
    public string? FilesSha256 { get; init; }
    /// <summary>Why this is not the pinned corpus (origin <c>installed</c>); null otherwise.</summary>
    public string? Note { get; init; }

    /// <summary>Same origin, packages and files (the note, a message, may differ).</summary>
    public bool SameCorpus(CorpusIdentity? other) =>
        other is not null && Origin == other.Origin && Packages.SequenceEqual(other.Packages) && FilesSha256 == other.FilesSha256;

    /// <summary>What identifies the corpus without the note (whose wording, such as apt's error, can change from run to run).</summary>
    public object Key() => new { Origin, Packages, FilesSha256 };

    /// <summary>One line for summaries: origin, packages with versions, and the whole fingerprint (to compare by eye or grep).</summary>
    public string Describe() =>
        Origin.ToString().ToLowerInvariant()
        + (Packages.Count > 0 ? " " + string.Join(" + ", Packages.Select(p => $"{p.Name} {p.Version} ({p.Architecture})")) : "")
        + (FilesSha256 is { } f ? $", files sha256 {f}" : "");
}
