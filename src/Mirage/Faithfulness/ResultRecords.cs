namespace Mirage.Faithfulness;

/// <summary>One row of model_accuracy.csv (breakdown "all", "depth", or "category" with the category's index as key).</summary>
public sealed record ModelAccuracyRow(int Seed, string Run, string Split, string Breakdown, int? Key, int Scored, int Correct, double? Accuracy);

/// <summary>A proxy's attention pattern on an example sequence (examples.json).</summary>
public sealed record ProxyPattern(string Proxy, int? Parameter, float[][] Pattern);

/// <summary>The model's and every proxy's attention on one example sequence, for one head (examples.json).</summary>
public sealed record ExampleMaps(int Seed, string Split, IReadOnlyList<string> Tokens, string Site, int Head, float[][] Model, IReadOnlyList<ProxyPattern> Proxies);

/// <summary>A point of the PCA scatter (pca_points.json).</summary>
public sealed record PcaPoint(float Pc1, float Pc2, int Depth, string Source);

/// <summary>The first two principal components of a head's keys or queries (pca_points.json).</summary>
public sealed record PcaPoints(int Seed, string Site, int Head, string Kind, double[] ExplainedVariance, IReadOnlyList<PcaPoint> Points);

/// <summary>One run of <c>mirage simplify</c>: runs (seed → directory) and settings, written as manifest.json.</summary>
public sealed record SimplifyManifest(string Task, string Data, IReadOnlyList<RunRef> Runs, IReadOnlyList<string> Proxies,
    IReadOnlyDictionary<string, IReadOnlyList<int?>> Sweeps, IReadOnlyList<string> Sites, string FitSplit, int FitN,
    IReadOnlyList<string> Splits, int BootstrapResamples, string CreatedBy = "mirage simplify")
{
    /// <summary>Names of the task's categories of scored position (code: closing_bracket, repeated_word, other).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];
    /// <summary>The task's deeper-nesting split (<see cref="Tasks.ISequenceTask.DeepSplit"/>), named for the report.</summary>
    public string DeepSplit { get; init; } = "unseen_depth";
    /// <summary>libtorch threads the results were computed with (results are bit-identical only at the same count).</summary>
    public int Threads { get; init; }
}

public sealed record RunRef(int Seed, string Run);

/// <summary>Everything one call computes, before it is written to RES.</summary>
public sealed class SimplifyResults
{
    public required SimplifyManifest Manifest { get; init; }
    public List<FaithfulnessRow> Rows { get; } = new();
    public List<CategoryRow> CategoryRows { get; } = new();
    public List<Evaluation.BaselineRow> Baseline { get; } = new();
    public List<BreakdownRow> Breakdown { get; } = new();
    public List<ModelAccuracyRow> ModelAccuracy { get; } = new();
    public List<ExampleMaps> Examples { get; } = new();
    public List<PcaPoints> PcaPoints { get; } = new();
    /// <summary>Per-sequence outcomes of every cell (outcomes.safetensors), for the pooled statistics.</summary>
    public List<Statistics.SequenceOutcomes> Outcomes { get; } = new();
}
