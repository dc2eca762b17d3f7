using System.Text.Json;
using Mirage.Faithfulness;
using Mirage.IO;
using Mirage.Statistics;

namespace Mirage.Reports;

/// <summary>A results directory read back (docs/results-format.md). examples.json and pca_points.json are optional.</summary>
public sealed class ResultsSet
{
    public required string Directory { get; init; }
    public required SimplifyManifest Manifest { get; init; }
    public required List<FaithfulnessRow> Rows { get; init; }
    public required List<SummaryRow> Summary { get; init; }
    public required List<BreakdownRow> Breakdown { get; init; }
    public required List<ModelAccuracyRow> ModelAccuracy { get; init; }
    public required List<ExampleMaps> Examples { get; init; }
    public required List<PcaPoints> PcaPoints { get; init; }
    /// <summary>faithfulness_by_category.csv (tasks with several categories of scored position), else empty.</summary>
    public required List<CategoryRow> CategoryRows { get; init; }
    /// <summary>baseline.csv (the bigram baseline's accuracy), else empty.</summary>
    public required List<Evaluation.BaselineRow> Baseline { get; init; }
    /// <summary>outcomes.safetensors: per-sequence outcomes of every cell (empty for results written before it existed).</summary>
    public required List<SequenceOutcomes> Outcomes { get; init; }

    /// <summary>Bootstrap resamples of the pooled statistics (set before <see cref="Statistics"/> is first read).</summary>
    public int StatisticsResamples { get; init; } = StudyStatistics.DefaultResamples;

    StudyStatistics? _statistics;

    /// <summary>The pooled intervals and tests of the whole study, computed from the per-sequence outcomes on first use.</summary>
    public StudyStatistics Statistics => _statistics ??= StudyStatistics.Compute(Outcomes, Splits, Manifest.ReferenceSplits, ReferenceSplit ?? Manifest.ReferenceSplits[0],
        StatisticsResamples, lengths: SequenceLengths, lengthBinWidth: Manifest.LengthBinWidth);

    /// <summary>Per split, each sequence's length (from outcomes.safetensors).</summary>
    public Dictionary<string, int[]> SequenceLengths { get; init; } = new();

    /// <summary>The reference split the report leads with (<c>--reference-split</c>); null = the in-distribution one.</summary>
    public string? ReferenceSplit { get; init; }

    public IReadOnlyList<string> Splits => Manifest.Splits;
    public int Seeds => Manifest.Runs.Count;

    /// <summary>The split that tests deeper nesting than training (Dyck: unseen_depth; code: deep_nesting).</summary>
    public string DeepSplit => Manifest.DeepSplit;

    public IReadOnlyList<string> Categories => Manifest.Categories;

    public static ResultsSet Load(string dir, int statisticsResamples = StudyStatistics.DefaultResamples, string? referenceSplit = null)
    {
        InputPath.Directory(dir, "report", "results directory", $"make one with `mirage simplify --out {dir}`");
        string P(string f) => Path.Combine(dir, f);
        if (File.Exists(P(OutputManifest.File)) && OutputManifest.CreatedBy(dir) is var by && by != "mirage simplify")
            throw new UserError($"{dir}: is not a results directory (its manifest.json {(by is null ? "does not say it was written by `mirage simplify`" : $"says it was written by `{by}`")}); pass a directory from `mirage simplify --out`");
        var outcomesPath = P(OutcomesFile.FileName);
        if (!File.Exists(outcomesPath))
            throw new UserError($"{outcomesPath}: not found; the report's statistics need the per-sequence outcomes (rerun `mirage simplify` with this version)");
        var (outcomes, lengths) = OutcomesFile.ReadAll(outcomesPath);
        List<T> Optional<T>(string f)
        {
            if (!File.Exists(P(f))) return [];
            try { return JsonSerializer.Deserialize<List<T>>(File.ReadAllText(P(f)), Json.Options) ?? []; }
            catch (JsonException e) { throw new UserError($"{P(f)}: invalid JSON ({e.Message.Split('\n')[0]})"); }
        }
        return new ResultsSet
        {
            Directory = dir, StatisticsResamples = statisticsResamples, ReferenceSplit = referenceSplit,
            Manifest = Json.Load<SimplifyManifest>(P("manifest.json"), "results manifest"),
            Rows = CsvReader.Read<FaithfulnessRow>(P("faithfulness.csv")),
            Summary = CsvReader.Read<SummaryRow>(P("faithfulness_summary.csv")),
            Breakdown = CsvReader.Read<BreakdownRow>(P("breakdown.csv")),
            ModelAccuracy = CsvReader.Read<ModelAccuracyRow>(P("model_accuracy.csv")),
            Examples = Optional<ExampleMaps>("examples.json"),
            PcaPoints = Optional<PcaPoints>("pca_points.json"),
            CategoryRows = File.Exists(P("faithfulness_by_category.csv")) ? CsvReader.Read<CategoryRow>(P("faithfulness_by_category.csv")) : [],
            Baseline = File.Exists(P("baseline.csv")) ? CsvReader.Read<Evaluation.BaselineRow>(P("baseline.csv")) : [],
            Outcomes = outcomes, SequenceLengths = lengths,
        };
    }

    /// <summary>Mean over seeds of a metric, or null.</summary>
    public double? Mean(string proxy, int? parameter, string site, int? head, string split, string metric) =>
        Summary.FirstOrDefault(s => s.Proxy == proxy && s.Parameter == parameter && s.Site == site && s.Head == head && s.Split == split && s.Metric == metric)?.Mean;

    public IEnumerable<FaithfulnessRow> PerSeed(string proxy, int? parameter, string site, int? head, string split, string metric) =>
        Rows.Where(r => r.Proxy == proxy && r.Parameter == parameter && r.Site == site && r.Head == head && r.Split == split && r.Metric == metric);

    /// <summary>Per-seed rows of one category's metric.</summary>
    public IEnumerable<CategoryRow> PerSeed(string proxy, int? parameter, string site, int? head, string split, string category, string metric) =>
        CategoryRows.Where(r => r.Proxy == proxy && r.Parameter == parameter && r.Site == site && r.Head == head && r.Split == split && r.Category == category && r.Metric == metric);

    /// <summary>The pooled agreement gap (to the lead reference) of every (proxy, site, head) at its chosen parameter, for one split and category.</summary>
    public List<double> CategoryGaps(string split, string category) =>
        Targets().Select(t => Statistics.Find(StudyStatistics.AgreementGap, t.Proxy, Chosen(t.Proxy, t.Site, t.Head), t.Site, t.Head, split, category)?.Estimate)
            .Where(v => v is not null).Select(v => v!.Value).ToList();

    /// <summary>
    /// A breakdown.csv cell (e.g. agreement in one length bin) pooled over seeds (positions summed) and averaged over
    /// every proxy and head at its chosen parameter; null when fewer than <paramref name="minPositions"/> positions
    /// were scored there. Model accuracy is the same in every proxy's rows, so its average is the model's.
    /// </summary>
    public (double Value, int Positions)? BreakdownAverage(string split, string breakdown, int key, string metric, int minPositions = 20)
    {
        var per = Targets().Select(t =>
        {
            var p = Chosen(t.Proxy, t.Site, t.Head);
            var rows = _breakdown.Value[(t.Proxy, p, t.Site, t.Head, split, breakdown, key, metric)];
            int n = rows.Sum(x => x.N);
            return (Value: n == 0 ? double.NaN : rows.Sum(x => (x.Value ?? 0) * x.N) / n, N: n);
        }).Where(x => x.N >= minPositions).ToList();
        return per.Count == 0 ? null : (per.Average(x => x.Value), per.Max(x => x.N));
    }

    Lazy<ILookup<(string, int?, string, int?, string, string, int, string), BreakdownRow>> _breakdown => _breakdownLookup ??=
        new(() => Breakdown.ToLookup(b => (b.Proxy, b.Parameter, b.Site, b.Head, b.Split, b.Breakdown, b.Key, b.Metric)));
    Lazy<ILookup<(string, int?, string, int?, string, string, int, string), BreakdownRow>>? _breakdownLookup;

    /// <summary>Every (proxy, site, head) measured, in a stable order.</summary>
    public List<(string Proxy, string Site, int? Head)> Targets() =>
        Rows.Select(r => (r.Proxy, r.Site, r.Head)).Distinct().OrderBy(t => Simplify.ProxyCatalog.Order(t.Proxy)).ThenBy(t => t.Site).ThenBy(t => t.Head).ToList();

    public List<int?> Parameters(string proxy, string site, int? head) =>
        Rows.Where(r => r.Proxy == proxy && r.Site == site && r.Head == head).Select(r => r.Parameter).Distinct().OrderBy(p => p ?? 0).ToList();

    /// <summary>
    /// The parameter the report shows a proxy at: the smallest whose mean IID agreement is at least 0.95 (a proxy that
    /// looks faithful on training-like data, as a researcher would pick it), else the largest swept.
    /// </summary>
    public int? Chosen(string proxy, string site, int? head)
    {
        var ps = Parameters(proxy, site, head);
        return ps.FirstOrDefault(p => Mean(proxy, p, site, head, FaithfulnessRows.ReferenceSplit, SplitFaithfulness.Agreement) >= 0.95, ps.LastOrDefault());
    }
}
