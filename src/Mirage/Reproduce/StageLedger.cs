using Mirage.IO;

namespace Mirage.Reproduce;

/// <summary>
/// DIR/stages.json: for each finished stage, the hash of everything it was computed from. A stage whose recorded
/// hash equals the current one is skipped; any other is (re)run. Recorded only after the stage's outputs are in
/// place, so an interrupted stage simply runs again.
/// </summary>
public sealed class StageLedger(string dir)
{
    public const string FileName = "stages.json";
    readonly string _path = Path.Combine(dir, FileName);
    Dictionary<string, string>? _stages;

    Dictionary<string, string> Stages => _stages ??= File.Exists(_path) ? Json.Load<Dictionary<string, string>>(_path, "stage ledger") : new();

    public bool IsDone(string stage, string hash) => Stages.TryGetValue(stage, out var h) && h == hash;

    public void MarkDone(string stage, string hash)
    {
        Stages[stage] = hash;
        Json.Save(_path, Stages);
    }

    /// <summary>A stage's hash: sha256 of its inputs serialised as JSON.</summary>
    public static string Hash(params object?[] inputs) => Sha256.OfText(string.Join("\n", inputs.Select(i => i is string s ? s : Json.Serialize(i))));
}
