namespace Mirage.Faithfulness;

/// <summary>
/// What <c>mirage simplify</c> does: which proxies with which sweeps, at which attention blocks and heads, fitted on
/// how much of which split, and how intervals are computed.
/// </summary>
public sealed record SimplifyConfig
{
    public IReadOnlyList<string> Proxies { get; init; } = ["pca", "kmeans", "onehot", "weight-svd"];
    /// <summary>Per proxy, the parameters to sweep; a proxy not listed gets its default sweep.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>> Sweeps { get; init; } = new Dictionary<string, IReadOnlyList<int>>();
    /// <summary>Attention blocks (<c>blocks.{l}.attn</c>); empty = every block.</summary>
    public IReadOnlyList<string> Sites { get; init; } = [];
    /// <summary>Heads to simplify one at a time; empty = every head.</summary>
    public IReadOnlyList<int> Heads { get; init; } = [];
    public string FitSplit { get; init; } = "train";
    public int FitN { get; init; } = 1000;
    public int BootstrapResamples { get; init; } = Bootstrap.DefaultResamples;
    public int BatchSize { get; init; } = Evaluation.Batches.EvalBatchSize;
    /// <summary>Seeds k-means++ (combined with the run's seed).</summary>
    public int ProxySeed { get; init; } = 0;
    /// <summary>Splits from which one example's attention maps are saved for the report; null = the task's choice.</summary>
    public IReadOnlyList<string>? ExampleSplits { get; init; }
    /// <summary>Sequences of each split the proxies are measured on (the first N); null = all. Model accuracy always uses the whole split.</summary>
    public int? EvalN { get; init; }
    /// <summary>
    /// The oracle control: fit every data proxy also on the split it is scored on (on sequences outside the scored
    /// half), and score both fits on the held-out half of every split.
    /// </summary>
    public bool Oracle { get; init; }
    /// <summary>The task metric's minimum opener–closer distance (Dyck); null = the data's (10 by default).</summary>
    public int? MinDistance { get; init; }
    /// <summary>libtorch threads; part of the result (reductions round differently on another thread count).</summary>
    public int Threads { get; init; } = 2;
}
