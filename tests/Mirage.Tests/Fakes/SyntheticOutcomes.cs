using Mirage.Faithfulness;
using Mirage.Reports;
using Mirage.Statistics;

namespace Mirage.Tests.Fakes;

/// <summary>
/// Per-sequence outcomes drawn from known rates, to test the statistics and the findings against a planted truth.
/// Each sequence has a difficulty shared by every seed (seeds see the same sequences) and each seed an offset, as in
/// a real study; positions agree with probability rate + offsets.
/// </summary>
public sealed class SyntheticOutcomes(int seeds, int sequences, int positions, int randomSeed)
{
    readonly Random _rng = new(randomSeed);
    public List<SequenceOutcomes> Cells { get; } = new();
    /// <summary>Per split, each sequence's length (set with <see cref="Lengths"/> before <see cref="Add"/>).</summary>
    public Dictionary<string, int[]> SequenceLengths { get; } = new();

    /// <summary>Gives the sequences of <paramref name="split"/> lengths drawn uniformly from [min, max].</summary>
    public void Lengths(string split, int min, int max) =>
        SequenceLengths[split] = Enumerable.Range(0, sequences).Select(_ => _rng.Next(min, max + 1)).ToArray();
    readonly Dictionary<string, double[]> _difficulty = new();

    double[] Difficulty(string split) => _difficulty.TryGetValue(split, out var d) ? d
        : _difficulty[split] = Enumerable.Range(0, sequences).Select(_ => (_rng.NextDouble() - 0.5) * 0.1).ToArray();

    /// <summary>
    /// Adds one proxy target on one split: agreement rate <paramref name="agree"/> and model accuracy
    /// <paramref name="modelAccuracy"/>. The proxy is right exactly when the model is (so the accuracy test is null),
    /// except that it corrects a share <paramref name="proxyFixes"/> of the model's errors (a planted "proxy better").
    /// </summary>
    /// <param name="agreeAtLength">When given, the agreement rate at a sequence's length (replaces <paramref name="agree"/>).</param>
    public void Add(string proxy, int? parameter, string split, double agree, double modelAccuracy = 0.9, double proxyFixes = 0, Func<int, double>? agreeAtLength = null,
        string category = OutcomeKey.AllCategories)
    {
        var diff = Difficulty(split);
        for (int s = 0; s < seeds; s++)
        {
            double offset = (s - (seeds - 1) / 2.0) * 0.004;
            var scored = new float[sequences]; var agreeN = new float[sequences]; var model = new float[sequences]; var prox = new float[sequences];
            for (int i = 0; i < sequences; i++)
            {
                scored[i] = positions;
                for (int k = 0; k < positions; k++)
                {
                    bool m = _rng.NextDouble() < modelAccuracy;
                    double rate = agreeAtLength is null ? agree : agreeAtLength(SequenceLengths[split][i]);
                    bool a = _rng.NextDouble() < Math.Clamp(rate + diff[i] + offset, 0, 1);
                    bool p = m;
                    if (!m && proxyFixes > 0 && _rng.NextDouble() < proxyFixes) p = true;
                    if (a) agreeN[i]++;
                    if (m) model[i]++;
                    if (p) prox[i]++;
                }
            }
            OutcomeKey Key(string metric) => new(s, proxy, parameter, "blocks.0.attn", 0, split, category, metric);
            Cells.Add(new SequenceOutcomes(Key(SplitFaithfulness.Agreement), agreeN, scored));
            Cells.Add(new SequenceOutcomes(Key(SplitFaithfulness.ModelAccuracy), model, scored));
            Cells.Add(new SequenceOutcomes(Key(SplitFaithfulness.ProxyAccuracy), prox, scored));
        }
    }

    /// <summary>A results set around these outcomes, as `mirage report` would load it (rows carry the per-seed values).</summary>
    public ResultsSet Results(IReadOnlyList<string> splits, int resamples, IReadOnlyList<string>? references = null, string? lead = null, int lengthBinWidth = 0, string deepSplit = "ood",
        bool oracle = false)
    {
        var rows = Cells.Where(c => c.Key.Category == OutcomeKey.AllCategories).Select(c => new FaithfulnessRow(c.Key.Seed, $"runs/seed{c.Key.Seed}", c.Key.Proxy, c.Key.Parameter, c.Key.Site, c.Key.Head, c.Key.Split,
            c.Key.Metric, c.Numerator.Sum() / c.Denominator.Sum(), null, null, c.Denominator.Sum())).ToList();
        var manifest = new SimplifyManifest("dyck", "data", Enumerable.Range(0, seeds).Select(s => new RunRef(s, $"runs/seed{s}")).ToList(),
            rows.Select(r => r.Proxy).Distinct().ToList(), new Dictionary<string, IReadOnlyList<int?>>(), ["blocks.0.attn"], "train", 100, splits, 100)
            { ReferenceSplits = references ?? ["iid"], LengthBinWidth = lengthBinWidth, DeepSplit = deepSplit, Oracle = oracle };
        return new ResultsSet
        {
            Directory = "synthetic", Manifest = manifest, Rows = rows, Summary = FaithfulnessRows.Summarize(rows), Breakdown = [], ModelAccuracy = [],
            Examples = [], PcaPoints = [], CategoryRows = [], Baseline = [], Outcomes = Cells, StatisticsResamples = resamples, ReferenceSplit = lead, SequenceLengths = SequenceLengths,
        };
    }
}
