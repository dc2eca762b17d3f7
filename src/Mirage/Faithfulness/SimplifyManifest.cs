namespace Mirage.Faithfulness;

/// <summary>One run of <c>mirage simplify</c>: runs (seed → directory) and settings, written as manifest.json.</summary>
public sealed record SimplifyManifest(string Task, string Data, IReadOnlyList<RunRef> Runs, IReadOnlyList<string> Proxies,
    IReadOnlyDictionary<string, IReadOnlyList<int?>> Sweeps, IReadOnlyList<string> Sites, string FitSplit, int FitN,
    IReadOnlyList<string> Splits, int BootstrapResamples, string CreatedBy = "mirage simplify")
{
    /// <summary>Names of the task's categories of scored position (code: closing_bracket, repeated_word, other).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];
    /// <summary>The task's deeper-nesting split (<see cref="Tasks.ISequenceTask.DeepSplit"/>), named for the report.</summary>
    public string DeepSplit { get; init; } = "unseen_depth";
    /// <summary>The splits gaps can be measured against (<see cref="Tasks.ISequenceTask.ReferenceSplits"/>), in-distribution first.</summary>
    public IReadOnlyList<string> ReferenceSplits { get; init; } = ["iid"];
    /// <summary>Width of the length bins of breakdown.csv and the length-matched gaps (<see cref="Tasks.ISequenceTask.LengthBinWidth"/>); 0 = none.</summary>
    public int LengthBinWidth { get; init; }
    /// <summary>The task metric's minimum opener–closer distance (Dyck; <c>--min-distance</c>); null for a task without one.</summary>
    public int? MinDistance { get; init; }
    /// <summary>Scoring variants measured beside the task metric (faithfulness_by_scoring.csv; Dyck: <c>min_distance_1</c>).</summary>
    public IReadOnlyList<string> ScoringVariants { get; init; } = [];
    /// <summary>Sequences per split the proxies were measured on (the first N); null = all.</summary>
    public int? EvalN { get; init; }
    /// <summary>Whether the oracle control ran (oracle.csv).</summary>
    public bool Oracle { get; init; }
    /// <summary>libtorch threads the results were computed with (results are bit-identical only at the same count).</summary>
    public int Threads { get; init; }
}

public sealed record RunRef(int Seed, string Run);
