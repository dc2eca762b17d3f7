namespace Mirage.Faithfulness;

/// <summary>Everything one call computes, before it is written to RES.</summary>
public sealed class SimplifyResults
{
    public required SimplifyManifest Manifest { get; init; }
    public List<FaithfulnessRow> Rows { get; } = new();
    public List<CategoryRow> CategoryRows { get; } = new();
    public List<ScoringRow> ScoringRows { get; } = new();
    public List<OracleRow> OracleRows { get; } = new();
    public List<Evaluation.BaselineRow> Baseline { get; } = new();
    public List<BreakdownRow> Breakdown { get; } = new();
    public List<ModelAccuracyRow> ModelAccuracy { get; } = new();
    public List<ExampleMaps> Examples { get; } = new();
    public List<PcaPoints> PcaPoints { get; } = new();
    /// <summary>Per-sequence outcomes of every cell (outcomes.safetensors), for the pooled statistics.</summary>
    public List<Statistics.SequenceOutcomes> Outcomes { get; } = new();
    /// <summary>Per evaluation split, each sequence's length (tokens, START and END not counted), kept with the outcomes.</summary>
    public Dictionary<string, int[]> SequenceLengths { get; } = new();

    /// <summary>
    /// Appends a part's rows, outcomes and report material after this one's, list by list: the order a single pass
    /// over the parts one after another would have added them in, so the files come out byte for byte the same.
    /// </summary>
    public void Append(SimplifyResults part)
    {
        Rows.AddRange(part.Rows);
        Breakdown.AddRange(part.Breakdown);
        ModelAccuracy.AddRange(part.ModelAccuracy);
        CategoryRows.AddRange(part.CategoryRows);
        ScoringRows.AddRange(part.ScoringRows);
        OracleRows.AddRange(part.OracleRows);
        Outcomes.AddRange(part.Outcomes);
        Examples.AddRange(part.Examples);
        PcaPoints.AddRange(part.PcaPoints);
    }
}
