namespace Mirage.Tasks.Code;

/// <summary>Where a corpus came from; written to the data manifest as <c>pinned</c>, <c>installed</c> or <c>given</c>.</summary>
public enum CorpusOrigin
{
    /// <summary>The Debian packages of <see cref="PinnedCorpus"/> at their stated versions: the same files on every machine.</summary>
    Pinned,
    /// <summary>The pinned packages could not be fetched and the machine's own Python stdlib or JDK was read instead.</summary>
    Installed,
    /// <summary>A path the user gave (<c>--corpus</c>, <c>--ood-corpus</c> or the config).</summary>
    Given,
}
