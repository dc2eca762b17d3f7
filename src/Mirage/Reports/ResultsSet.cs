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
    public StudyStatistics Statistics => _statistics ??= StudyStatistics.Compute(Outcomes, Splits, FaithfulnessRows.ReferenceSplit, StatisticsResamples);

    public IReadOnlyList<string> Splits => Manifest.Splits;
    public int Seeds => Manifest.Runs.Count;

    /// <summary>The split that tests deeper nesting than training (Dyck: unseen_depth; code: deep_nesting).</summary>
    public string DeepSplit => Manifest.DeepSplit;

    public IReadOnlyList<string> Categories => Manifest.Categories;

    public static ResultsSet Load(string dir, int statisticsResamples = StudyStatistics.DefaultResamples)
    {
        InputPath.Directory(dir, "report", "results directory", $"make one with `mirage simplify --out {dir}`");
        string P(string f) => Path.Combine(dir, f);
        if (File.Exists(P(OutputManifest.File)) && OutputManifest.CreatedBy(dir) is var by && by != "mirage simplify")
            throw new UserError($"{dir}: is not a results directory (its manifest.json {(by is null ? "does not say it was written by `mirage simplify`" : $"says it was written by `{by}`")}); pass a directory from `mirage simplify --out`");
        List<T> Optional<T>(string f)
        {
            if (!File.Exists(P(f))) return [];
            try { return JsonSerializer.Deserialize<List<T>>(File.ReadAllText(P(f)), Json.Options) ?? []; }
            catch (JsonException e) { throw new UserError($"{P(f)}: invalid JSON ({e.Message.Split('\n')[0]})"); }
        }
        return new ResultsSet
        {
            Directory = dir, StatisticsResamples = statisticsResamples,
            Manifest = Json.Load<SimplifyManifest>(P("manifest.json"), "results manifest"),
            Rows = CsvReader.Read<FaithfulnessRow>(P("faithfulness.csv")),
            Summary = CsvReader.Read<SummaryRow>(P("faithfulness_summary.csv")),
            Breakdown = CsvReader.Read<BreakdownRow>(P("breakdown.csv")),
            ModelAccuracy = CsvReader.Read<ModelAccuracyRow>(P("model_accuracy.csv")),
            Examples = Optional<ExampleMaps>("examples.json"),
            PcaPoints = Optional<PcaPoints>("pca_points.json"),
            CategoryRows = File.Exists(P("faithfulness_by_category.csv")) ? CsvReader.Read<CategoryRow>(P("faithfulness_by_category.csv")) : [],
            Baseline = File.Exists(P("baseline.csv")) ? CsvReader.Read<Evaluation.BaselineRow>(P("baseline.csv")) : [],
            Outcomes = File.Exists(P(OutcomesFile.FileName)) ? OutcomesFile.Read(P(OutcomesFile.FileName))
                : throw new UserError($"{P(OutcomesFile.FileName)}: not found; the report's statistics need the per-sequence outcomes (rerun `mirage simplify` with this version)"),
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

    /// <summary>Mean-over-seeds agreement gap of every (proxy, site, head) at its chosen parameter, for one split and category.</summary>
    public List<double> CategoryGaps(string split, string category) =>
        Targets().Select(t => PerSeed(t.Proxy, Chosen(t.Proxy, t.Site, t.Head), t.Site, t.Head, split, category, SplitFaithfulness.Agreement + "_gap")
                .Where(x => x.Value is not null).Select(x => x.Value!.Value).ToList())
            .Where(v => v.Count > 0).Select(v => v.Average()).ToList();

    /// <summary>Every (proxy, site, head) measured, in a stable order.</summary>
    public List<(string Proxy, string Site, int? Head)> Targets() =>
        Rows.Select(r => (r.Proxy, r.Site, r.Head)).Distinct().OrderBy(t => Array.IndexOf(Simplify.ProxyCatalog.Names, t.Proxy)).ThenBy(t => t.Site).ThenBy(t => t.Head).ToList();

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
