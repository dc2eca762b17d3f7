namespace Mirage.Tasks.Dyck;

/// <summary>
/// Every setting of the Dyck-(k, m) data (docs/method.md §1.2). Defaults: Murty et al.'s k = 20, m = 10, 200,000 training strings,
/// 2,000 per evaluation split; our defaults where the papers leave room: length cap 128, unseen-depth bound m + 5.
/// </summary>
public sealed record DyckConfig
{
    /// <summary>Bracket types.</summary>
    public int K { get; init; } = 20;
    /// <summary>Nesting bound m of the training distribution.</summary>
    public int MaxDepth { get; init; } = 10;
    /// <summary>Nesting bound of the sampler for the unseen_depth split (0 = max_depth + 5); kept strings are deeper than max_depth.</summary>
    public int DeepMaxDepth { get; init; } = 0;
    /// <summary>END drawn before this many tokens is rejected and redrawn (Murty: 4).</summary>
    public int MinLength { get; init; } = 4;
    /// <summary>Samples longer than this are rejected, so the model's context is known in advance.</summary>
    public int MaxLength { get; init; } = 128;
    /// <summary>unseen_structure_short holds lengths up to this; unseen_structure_long the longer ones.</summary>
    public int ShortMaxLength { get; init; } = 32;
    public int Train { get; init; } = 200_000;
    public int PerSplit { get; init; } = 2_000;
    /// <summary>The task metric scores closers whose opener is at least this many positions earlier (Murty: 10).</summary>
    public int MinDistance { get; init; } = 10;
    /// <summary>A split that needs more draws than this cannot be filled: an error naming it, never a hang.</summary>
    public int MaxDrawsPerSplit { get; init; } = 5_000_000;
    public int Seed { get; init; } = 0;

    /// <summary>Training sequences are all held in memory while the splits are built and written.</summary>
    public const int MaxTrain = 20_000_000;

    [System.Text.Json.Serialization.JsonIgnore]
    public int DeepBound => DeepMaxDepth > 0 ? DeepMaxDepth : MaxDepth + 5;

    public DyckConfig Validate(string source = "dyck config")
    {
        void Need(bool ok, string field, string expected, object found)
        { if (!ok) throw new UserError($"{source}: {field} must be {expected}, found {found}"); }
        Need(K is >= 1 and <= 1000, "k", "between 1 and 1000", K);
        Need(MaxDepth is >= 2 and <= 1000, "max_depth", "between 2 and 1000", MaxDepth);
        Need(DeepMaxDepth == 0 || DeepMaxDepth > MaxDepth, "deep_max_depth", $"greater than max_depth ({MaxDepth}), or 0 for max_depth + 5", DeepMaxDepth);
        Need(MinLength >= 2 && MinLength % 2 == 0, "min_length", "an even number >= 2", MinLength);
        Need(MaxLength >= 2 * (MaxDepth + 1), "max_length", $">= {2 * (MaxDepth + 1)} (room for a string deeper than max_depth {MaxDepth})", MaxLength);
        Need(MaxLength >= MinLength, "max_length", $">= min_length ({MinLength})", MaxLength);
        Need(ShortMaxLength >= MinLength && ShortMaxLength < MaxLength, "short_max_length", $"between min_length ({MinLength}) and max_length - 1 ({MaxLength - 1})", ShortMaxLength);
        Need(Train >= 1, "train", ">= 1", Train);
        Need(PerSplit >= 1, "per_split", ">= 1", PerSplit);
        // Each draw yields at most one sequence: a split larger than the draw budget can never be filled, so say so
        // now rather than after minutes of sampling.
        Need(PerSplit <= MaxDrawsPerSplit, "per_split", $"at most max_draws_per_split ({MaxDrawsPerSplit:N0}; each draw yields at most one sequence)", PerSplit);
        Need(Train <= MaxTrain, "train", $"at most {MaxTrain:N0} (all sequences are held in memory)", Train);
        Need(MinDistance >= 1, "min_distance", ">= 1", MinDistance);
        Need(MaxDrawsPerSplit >= 1, "max_draws_per_split", ">= 1", MaxDrawsPerSplit);
        return this;
    }
}
