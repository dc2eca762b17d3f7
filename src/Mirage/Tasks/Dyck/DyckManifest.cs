namespace Mirage.Tasks.Dyck;

/// <summary>Per-split facts written to manifest.json: counts, ranges and the file's sha256.</summary>
public sealed record SplitInfo(string Name, string File, int Count, int MinLength, int MaxLength, int MinDepth, int MaxDepth, string Sha256) : ISplitEntry;

/// <summary>DIR/manifest.json of a Dyck data directory. Holds no timestamp: the same seed gives the same bytes.</summary>
public sealed record DyckManifest : IDataManifest
{
    public string Task { get; init; } = "dyck";
    public int FormatVersion { get; init; } = DataManifest.FormatVersion;
    public required DyckConfig Config { get; init; }
    public required int Seed { get; init; }
    public required IReadOnlyList<SplitInfo> Splits { get; init; }
    public required IReadOnlyList<string> Vocabulary { get; init; }
    IReadOnlyList<ISplitEntry> IDataManifest.SplitEntries => Splits;
}
