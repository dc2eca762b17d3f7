using Mirage.Faithfulness;
using Mirage.Reports;

namespace Mirage.Tests;

/// <summary>The report's view of a results directory: which points it shows and how it pools breakdowns.</summary>
public class ResultsSetTests
{
    const string Site = "blocks.0.attn";

    /// <summary>Two seeds' iid agreement for each (proxy, parameter): the seeds average to the given mean.</summary>
    static ResultsSet Set(IEnumerable<(string Proxy, int? Parameter, double IidMean)> points, List<BreakdownRow>? breakdown = null)
    {
        var rows = points.SelectMany(p => new[] { -0.01, 0.01 }.Select((d, seed) =>
            new FaithfulnessRow(seed, $"runs/seed{seed}", p.Proxy, p.Parameter, Site, 0, "iid", SplitFaithfulness.Agreement, p.IidMean + d, null, null, 100))).ToList();
        var manifest = new SimplifyManifest("dyck", "data", [new RunRef(0, "runs/seed0"), new RunRef(1, "runs/seed1")], rows.Select(r => r.Proxy).Distinct().ToList(),
            new Dictionary<string, IReadOnlyList<int?>>(), [Site], "train", 100, ["iid", "ood"], 100);
        return new ResultsSet
        {
            Directory = "synthetic", Manifest = manifest, Rows = rows, Summary = FaithfulnessRows.Summarize(rows), Breakdown = breakdown ?? [], ModelAccuracy = [],
            Examples = [], PcaPoints = [], CategoryRows = [], Baseline = [], Outcomes = [],
        };
    }

    [Fact]
    public void The_chosen_parameter_is_the_smallest_faithful_in_distribution_else_the_largest_swept()
    {
        var set = Set([("pca", 16, 0.99), ("pca", 1, 0.90), ("pca", 4, 0.96), ("kmeans", 4, 0.50), ("kmeans", 64, 0.70), ("onehot", null, 0.97)]);
        Assert.Equal([1, 4, 16], set.Parameters("pca", Site, 0));
        Assert.Equal(4, set.Chosen("pca", Site, 0));          // the mean of 0.95 and 0.97, not 16's 0.99
        Assert.Equal(64, set.Chosen("kmeans", Site, 0));      // never faithful: the largest swept
        Assert.Null(set.Chosen("onehot", Site, 0));           // no parameter
        Assert.Equal(0.96, set.Mean("pca", 4, Site, 0, "iid", SplitFaithfulness.Agreement)!.Value, 9);
        // Catalogue order, whatever the order of the rows.
        Assert.Equal(["pca", "kmeans", "onehot"], set.Targets().Select(t => t.Proxy));
    }

    [Fact]
    public void A_breakdown_cell_pools_seeds_by_positions_and_leaves_out_thin_cells()
    {
        BreakdownRow Row(int seed, string proxy, int? p, double value, int n) => new(seed, proxy, p, Site, 0, "ood", "length", 64, SplitFaithfulness.Agreement, value, n);
        var set = Set([("pca", 4, 0.96), ("kmeans", 64, 0.70)],
            [Row(0, "pca", 4, 1.0, 30), Row(1, "pca", 4, 0.5, 10),     // pooled: (30 + 5) / 40 = 0.875
             Row(0, "pca", 16, 0.0, 500),                               // not the chosen parameter: ignored
             Row(0, "kmeans", 64, 0.2, 5), Row(1, "kmeans", 64, 0.2, 5)]); // 10 positions: below the minimum
        var (value, positions) = set.BreakdownAverage("ood", "length", 64, SplitFaithfulness.Agreement)!.Value;
        Assert.Equal(0.875, value, 9);
        Assert.Equal(40, positions);
        Assert.Null(set.BreakdownAverage("ood", "length", 96, SplitFaithfulness.Agreement));
        Assert.Equal(0.5375, set.BreakdownAverage("ood", "length", 64, SplitFaithfulness.Agreement, minPositions: 10)!.Value.Value, 9);
    }
}
