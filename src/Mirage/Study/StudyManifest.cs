using Mirage.IO;

namespace Mirage.Study;

/// <summary>
/// DIR/manifest.json of a study directory: <c>{"created_by": "mirage reproduce", "study": "dyck", "format_version": 1}</c>.
/// It marks the directory as Mirage's, so rerunning <c>mirage reproduce</c> may replace the stages inside it. The key is
/// "study", not "task": a data directory is recognised by its "task" key.
/// </summary>
public sealed record StudyManifest(string Study, int FormatVersion = 1, string CreatedBy = StudyManifest.Command)
{
    public const string Command = "mirage reproduce";

    /// <summary>
    /// A study directory of <paramref name="study"/>: its manifest says so; or, written before studies had a manifest,
    /// it holds stages.json (the stage ledger) and no manifest.json.
    /// </summary>
    public static OutputKind Kind(string study) => new($"{Command} {study}", $"a {study} study directory", dir =>
        OutputManifest.CreatedBy(dir) == Command && OutputManifest.Field(dir, "study") == study ||
        !File.Exists(Path.Combine(dir, OutputManifest.File)) && File.Exists(Path.Combine(dir, StageLedger.FileName)));

    /// <summary>Writes DIR/manifest.json unless it is there (an older study gets one on its next run).</summary>
    public static void Ensure(string dir, string study)
    {
        if (OutputManifest.CreatedBy(dir) != Command) Json.Save(Path.Combine(dir, OutputManifest.File), new StudyManifest(study));
    }
}
