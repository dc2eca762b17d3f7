namespace Mirage.Faithfulness;

// The rows of the results directory's CSV files (docs/results-format.md): one concept, several small records.

/// <summary>One row of faithfulness.csv (see docs/results-format.md).</summary>
public sealed record FaithfulnessRow(int Seed, string Run, string Proxy, int? Parameter, string Site, int? Head, string Split,
    string Metric, double? Value, double? CiLow, double? CiHigh, double N);

/// <summary>One row of faithfulness_by_category.csv: a faithfulness.csv row restricted to one category of scored position.</summary>
public sealed record CategoryRow(int Seed, string Run, string Proxy, int? Parameter, string Site, int? Head, string Split, string Category,
    string Metric, double? Value, double? CiLow, double? CiHigh, double N);

/// <summary>One row of faithfulness_by_scoring.csv: a faithfulness.csv row measured at the positions of one scoring variant (Dyck: <c>min_distance_1</c>, every closer).</summary>
public sealed record ScoringRow(int Seed, string Run, string Proxy, int? Parameter, string Site, int? Head, string Split, string Scoring,
    string Metric, double? Value, double? CiLow, double? CiHigh, double N);

/// <summary>
/// One row of oracle.csv: a proxy scored on the held-out half of a split, fitted on the training fit set
/// (<c>fit</c> = train) or on other sequences of that split itself (<c>fit</c> = split).
/// </summary>
public sealed record OracleRow(int Seed, string Run, string Proxy, int? Parameter, string Site, int? Head, string Split, string Fit,
    string Metric, double? Value, double? CiLow, double? CiHigh, double N);

/// <summary>One row of faithfulness_summary.csv: a faithfulness.csv cell aggregated over seeds.</summary>
public sealed record SummaryRow(string Proxy, int? Parameter, string Site, int? Head, string Split, string Metric,
    double? Mean, double? Std, double? Min, double? Max, int Seeds);

/// <summary>One row of breakdown.csv.</summary>
public sealed record BreakdownRow(int Seed, string Proxy, int? Parameter, string Site, int? Head, string Split, string Breakdown, int Key,
    string Metric, double? Value, int N);

/// <summary>One row of model_accuracy.csv (breakdown "all", "depth", or "category" with the category's index as key).</summary>
public sealed record ModelAccuracyRow(int Seed, string Run, string Split, string Breakdown, int? Key, int Scored, int Correct, double? Accuracy);
