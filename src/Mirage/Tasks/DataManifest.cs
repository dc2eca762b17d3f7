using Mirage.IO;

namespace Mirage.Tasks;

/// <summary>What every task's manifest.json records of a split file, whatever else the task records of it.</summary>
public interface ISplitEntry
{
    string Name { get; }
    string File { get; }
    int Count { get; }
    string Sha256 { get; }
}

/// <summary>What every task's manifest.json holds: which task wrote it, in which format version, and its split files.</summary>
public interface IDataManifest
{
    string Task { get; }
    int FormatVersion { get; }
    IReadOnlyList<ISplitEntry> SplitEntries { get; }
}

/// <summary>
/// Reading a data directory's manifest.json, the part every task shares: the header (task and format version), the
/// task's own required fields, the splits it must list, and the split files checked against their sha256.
/// </summary>
public static class DataManifest
{
    public const string File = OutputManifest.File;
    public const int FormatVersion = 1;

    /// <summary>
    /// DIR/manifest.json as <typeparamref name="M"/>, after checking that <paramref name="task"/> wrote it in this
    /// format version, the task's own <paramref name="check"/> (required fields, config; given the manifest's path),
    /// and that it lists every split <paramref name="required"/> names.
    /// </summary>
    public static M Read<M>(string dir, string task, string what, Action<M, string> check, Func<M, IEnumerable<string>> required) where M : IDataManifest
    {
        var path = Path.Combine(dir, File);
        var m = Json.Load<M>(path, what);
        if (m.Task != task) throw new UserError($"{path}: task is '{m.Task}', expected '{task}'");
        if (m.FormatVersion != FormatVersion) throw new UserError($"{path}: format_version {m.FormatVersion} is not supported (expected {FormatVersion})");
        check(m, path);
        var missing = required(m).Except(m.SplitEntries.Select(s => s.Name)).ToList();
        if (missing.Count > 0) throw new UserError($"{path}: splits {string.Join(", ", missing)} missing from the manifest");
        return m;
    }

    /// <summary>Checks that every split file the manifest lists is there, byte for byte (sha256), without parsing it.</summary>
    public static void Verify(string dir, IDataManifest m)
    {
        foreach (var info in m.SplitEntries) SplitFile.Check(dir, File, info.File, info.Sha256);
    }

    /// <summary>A split's items as read, against the count its manifest entry gives (<paramref name="unit"/>: "sequences", "windows").</summary>
    public static void CheckCount(string path, int read, ISplitEntry info, string unit)
    {
        if (read != info.Count) throw new UserError($"{path}: {read} {unit} but the manifest says {info.Count}");
    }
}
