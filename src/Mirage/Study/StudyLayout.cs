namespace Mirage.Study;

/// <summary>Where a study keeps what: DIR/data, DIR/runs/seedS, DIR/proxies/seedS (one seed's results), DIR/results (all seeds), DIR/report.</summary>
public sealed record StudyLayout(string Dir)
{
    public string Data => Path.Combine(Dir, "data");
    public string Run(int seed) => Path.Combine(Dir, "runs", $"seed{seed}");
    public string Proxies(int seed) => Path.Combine(Dir, "proxies", $"seed{seed}");
    public string Results => Path.Combine(Dir, "results");
    public string Report => Path.Combine(Dir, "report");
}
