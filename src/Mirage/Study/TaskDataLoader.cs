using System.Text.Json;
using Mirage.IO;
using Mirage.Tasks;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;

namespace Mirage.Study;

/// <summary>Loads any task's data directory, dispatching on the "task" field of its manifest.json.</summary>
public static class TaskDataLoader
{
    /// <summary>What `mirage data` writes: a manifest.json naming its task (and no "created_by", which other outputs have).</summary>
    public static readonly OutputKind Kind = new("mirage data", "a data directory",
        dir => OutputManifest.Field(dir, "task") is not null && OutputManifest.CreatedBy(dir) is null);

    /// <summary>
    /// Which entries of the data directory <paramref name="dir"/> `mirage data` wrote (for a caller about to delete it
    /// whole): its manifest and the split files the manifest lists — not a .jsonl of the user's beside them; for a
    /// manifest that lists none, any .jsonl.
    /// </summary>
    public static Func<string, bool> DataEntries(string dir)
    {
        var listed = OutputManifest.Strings(dir, "splits", "file");
        return name => name == OutputManifest.File
            || (listed is { Count: > 0 } ? listed.Contains(name) : name.EndsWith(".jsonl", StringComparison.Ordinal));
    }

    public static TaskData Load(string dir)
    {
        InputPath.Directory(dir, "--data", "data directory", $"create one with `mirage data dyck --out {dir}`");
        var path = Path.Combine(dir, DataManifest.File);
        if (!File.Exists(path)) throw new UserError($"{path}: not found; {dir} is not a data directory made by `mirage data`");
        string? task;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            // Results and study directories have a manifest.json too; say what this one is rather than misparse it.
            if (doc.RootElement.TryGetProperty("created_by", out var by) && by.ValueKind == JsonValueKind.String)
                throw new UserError($"{dir}: is not a data directory (its manifest.json says it was written by `{by.GetString()}`); pass a directory from `mirage data`");
            task = doc.RootElement.TryGetProperty("task", out var t) ? t.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new UserError($"{path}: invalid JSON ({e.Message.Split('\n')[0]})"); }
        return task switch
        {
            "dyck" => DyckData.Load(dir),
            "code" => CodeData.Load(dir),
            null => throw new UserError($"{path}: missing field \"task\""),
            _ => throw new UserError($"{path}: unknown task '{task}' (known: dyck, code)"),
        };
    }
}
