using Mirage.IO;

namespace Mirage.Study;

/// <summary>
/// DIR/stages/: for each finished task, one file (<c>train-0.json</c>) holding the hash of everything it was computed
/// from. A task whose recorded hash equals the current one is done; any other runs (again). Each task writes only its
/// own file, by rename, and only after its outputs are in place: tasks finishing at once on several nodes of a cluster
/// never rewrite a shared file, and an interrupted task simply runs again.
/// </summary>
public sealed class StageLedger(string studyDir)
{
    public const string DirName = "stages";
    /// <summary>The single-file ledger of studies written before tasks had their own files (recognised, never written).</summary>
    public const string FileName = "stages.json";

    readonly string _dir = Path.Combine(studyDir, DirName);

    string PathOf(string task) => Path.Combine(_dir, task.Replace(':', '-') + ".json");

    sealed record Entry(string Task, string Hash);

    public bool IsDone(string task, string hash)
    {
        var path = PathOf(task);
        return File.Exists(path) && Json.Load<Entry>(path, "stage ledger entry").Hash == hash;
    }

    public void MarkDone(string task, string hash) => Json.Save(PathOf(task), new Entry(task, hash));

    /// <summary>A task's hash: sha256 of its inputs serialised as JSON.</summary>
    public static string Hash(params object?[] inputs) => Sha256.OfText(string.Join("\n", inputs.Select(i => i is string s ? s : Json.Serialize(i))));
}
