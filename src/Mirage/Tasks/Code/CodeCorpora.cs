namespace Mirage.Tasks.Code;

/// <summary>
/// A code config with its corpora resolved (<see cref="CodeDefaults.Resolve"/>): <see cref="Config"/> holds the paths
/// to read, <see cref="Corpus"/> and <see cref="OodCorpus"/> say where they came from (their file fingerprints are
/// filled in once the files are read). <see cref="OodCorpus"/> is null when the java split is skipped, and
/// <see cref="OodSkipped"/> then says why.
/// </summary>
public sealed record CodeCorpora(CodeConfig Config, CorpusIdentity Corpus, CorpusIdentity? OodCorpus, string? OodSkipped)
{
    /// <summary>A config whose corpora are all given as paths (tests, and corpora the user named).</summary>
    public static CodeCorpora Given(CodeConfig c, string? oodSkipped = null) =>
        new(c, new CorpusIdentity { Origin = CorpusOrigin.Given }, c.OodCorpus.Count > 0 ? new CorpusIdentity { Origin = CorpusOrigin.Given } : null,
            c.OodCorpus.Count > 0 ? null : oodSkipped ?? "no ood_corpus");

    /// <summary>The notes of corpora that are not the pinned ones (what the data step warns about).</summary>
    public IEnumerable<string> Warnings =>
        new[] { ("corpus", Corpus), ("ood_corpus", OodCorpus) }.Where(x => x.Item2?.Note is not null).Select(x => $"{x.Item1}: {x.Item2!.Note}");
}
