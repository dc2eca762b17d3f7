namespace Mirage.Study;

/// <summary>
/// One unit of a study's work, what a cluster node or a local job runs: <c>data</c>, <c>train:S</c> and
/// <c>proxies:S</c> for each seed S, and <c>report</c> (which first combines the seeds' results).
/// </summary>
public sealed record StudyTask(string Stage, int? Seed = null)
{
    public const string Data = "data", Train = "train", Proxies = "proxies", Report = "report";
    public static readonly string[] Stages = [Data, Train, Proxies, Report];

    public string Name => Seed is int s ? $"{Stage}:{s}" : Stage;

    public override string ToString() => Name;

    /// <summary>"data", "train:1", "proxies:0", "report"; a per-seed stage needs its seed, below <paramref name="seeds"/>.</summary>
    public static StudyTask Parse(string text, int seeds)
    {
        var parts = text.Split(':');
        string stage = parts[0];
        bool perSeed = stage is Train or Proxies;
        if (!Stages.Contains(stage) || parts.Length > 2 || perSeed != (parts.Length == 2))
            throw new UserError($"--task {text}: expected data, train:S, proxies:S or report (S a seed, 0..{seeds - 1})");
        if (!perSeed) return new StudyTask(stage);
        if (!int.TryParse(parts[1], out var s) || s < 0 || s >= seeds)
            throw new UserError($"--task {text}: seed must be between 0 and {seeds - 1} (--seeds {seeds})");
        return new StudyTask(stage, s);
    }
}
