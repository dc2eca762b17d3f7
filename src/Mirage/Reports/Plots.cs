using Mirage.Faithfulness;
using ScottPlot;

namespace Mirage.Reports;

/// <summary>The report's figures as PNG files (ScottPlot). Each method writes one file into a folder and returns its name.</summary>
public static class Plots
{
    static readonly IPalette Palette = new ScottPlot.Palettes.Category10();
    // Every legend sits outside the data area, on the right: inside it, any corner hides some plot's data (the
    // one-hot proxy's line along the bottom, k-means diving through the middle, key and query points in every corner).
    // The figures are that much wider, so that the data area keeps its size.
    const int LegendWidth = 190, W = 760 + LegendWidth, H = 420;

    static void LegendOutside(Plot plt) => plt.ShowLegend(Edge.Right);

    /// <summary>Ticks at whole numbers only (a depth has no 0.5), every one while they fit, else every k-th.</summary>
    static void IntegerTicks(Plot plt, IEnumerable<double> xs)
    {
        var all = xs.ToList();
        if (all.Count == 0) return;
        int lo = (int)Math.Floor(all.Min()), hi = (int)Math.Ceiling(all.Max());
        int step = Math.Max(1, (int)Math.Ceiling((hi - lo + 1) / 20.0));
        var ticks = Enumerable.Range(0, (hi - lo) / step + 1).Select(i => (double)(lo + i * step)).ToArray();
        plt.Axes.Bottom.SetTicks(ticks, ticks.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    static Color SplitColor(ResultsSet r, string split) => Palette.GetColor(Math.Max(0, r.Splits.ToList().IndexOf(split)));

    static string Save(Plot plt, string dir, string name, int w = W, int h = H)
    {
        plt.SavePng(Path.Combine(dir, name), w, h);
        return name;
    }

    /// <summary>1. Model accuracy per split (one line per seed) and per depth (one line per seed and split).</summary>
    public static List<string> ModelAccuracy(ResultsSet r, string dir)
    {
        var files = new List<string>();
        var plt = new Plot();
        var seeds = r.ModelAccuracy.Select(m => m.Seed).Distinct().Order().ToList();
        foreach (var seed in seeds)
        {
            var ys = r.Splits.Select(s => r.ModelAccuracy.FirstOrDefault(m => m.Seed == seed && m.Split == s && m.Breakdown == "all")?.Accuracy ?? double.NaN).ToArray();
            var sc = plt.Add.Scatter(Enumerable.Range(0, ys.Length).Select(i => (double)i).ToArray(), ys);
            sc.LegendText = $"seed {seed}"; sc.MarkerSize = 8;
        }
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, r.Splits.Count).Select(i => (double)i).ToArray(), r.Splits.Select(s => s.Replace("_", " ")).ToArray());
        plt.Axes.SetLimitsY(0, 1.02);
        plt.Title("Model accuracy per split"); plt.YLabel("accuracy (task metric)");
        LegendOutside(plt);
        files.Add(Save(plt, dir, "model_accuracy_split.png"));

        var byDepth = new Plot();
        var depthsDrawn = new List<double>();
        foreach (var split in r.Splits)
            foreach (var seed in seeds)
            {
                var pts = r.ModelAccuracy.Where(m => m.Seed == seed && m.Split == split && m.Breakdown == "depth" && m.Accuracy is not null && m.Scored >= 10).OrderBy(m => m.Key).ToList();
                if (pts.Count == 0) continue;
                var sc = byDepth.Add.Scatter(pts.Select(p => (double)p.Key!).ToArray(), pts.Select(p => p.Accuracy!.Value).ToArray());
                depthsDrawn.AddRange(pts.Select(p => (double)p.Key!));
                sc.Color = SplitColor(r, split); sc.MarkerSize = 5;
                if (seed == seeds[0]) sc.LegendText = split;
            }
        byDepth.Axes.SetLimitsY(0, 1.02);
        byDepth.Title(r.Categories.Count > 1 ? "Model accuracy by bracket depth at the predicted character (one line per seed)" : "Model accuracy by depth of the closed bracket (one line per seed)");
        byDepth.XLabel("depth"); byDepth.YLabel("accuracy");
        IntegerTicks(byDepth, depthsDrawn);
        LegendOutside(byDepth);
        files.Add(Save(byDepth, dir, "model_accuracy_depth.png"));
        return files;
    }

    /// <summary>2. Faithfulness (agreement, attention JSD) vs parameter, one line per split with its interval band.</summary>
    public static string? Sweep(ResultsSet r, string dir, string proxy, string site, int? head, string metric)
    {
        var ps = r.Parameters(proxy, site, head).Where(p => p is not null).Select(p => p!.Value).ToList();
        if (ps.Count < 2) return null;
        var plt = new Plot();
        var xs = ps.Select(p => Math.Log2(p)).ToArray();
        foreach (var split in r.Splits)
        {
            var mean = ps.Select(p => r.Mean(proxy, p, site, head, split, metric) ?? double.NaN).ToArray();
            if (mean.All(double.IsNaN)) continue;
            // Band: the pooled interval (seeds and sequences resampled) for agreement; the mean of the per-seed
            // intervals for JSD, which the pooled statistics do not cover.
            bool pooled = metric == SplitFaithfulness.Agreement;
            var lo = ps.Select(p => pooled ? r.Statistics.Find(Statistics.StudyStatistics.Agreement, proxy, p, site, head, split)?.CiLow ?? double.NaN
                : r.PerSeed(proxy, p, site, head, split, metric).Select(x => x.CiLow ?? double.NaN).DefaultIfEmpty(double.NaN).Average()).ToArray();
            var hi = ps.Select(p => pooled ? r.Statistics.Find(Statistics.StudyStatistics.Agreement, proxy, p, site, head, split)?.CiHigh ?? double.NaN
                : r.PerSeed(proxy, p, site, head, split, metric).Select(x => x.CiHigh ?? double.NaN).DefaultIfEmpty(double.NaN).Average()).ToArray();
            var band = plt.Add.FillY(xs, lo, hi);
            band.FillColor = SplitColor(r, split).WithAlpha(0.18); band.LineWidth = 0;
            var sc = plt.Add.Scatter(xs, mean);
            sc.Color = SplitColor(r, split); sc.LegendText = split; sc.LineWidth = 2; sc.MarkerSize = 6;
        }
        plt.Axes.Bottom.SetTicks(xs, ps.Select(p => p.ToString()).ToArray());
        string what = metric switch
        {
            SplitFaithfulness.Agreement => "agreement with the model",
            SplitFaithfulness.AttentionJsdScored => "attention JSD at scored positions (bits)",
            _ => "attention JSD, all positions (bits)",
        };
        plt.Title($"{proxy} at {site} head {head}: {what}");
        plt.XLabel(Simplify.ProxyCatalog.NounOf(proxy)); plt.YLabel(what);
        if (metric == SplitFaithfulness.Agreement) plt.Axes.SetLimitsY(0, 1.02);
        LegendOutside(plt);
        return Save(plt, dir, $"sweep_{Slug(proxy, site, head)}_{metric}.png");
    }

    /// <summary>
    /// 3. The agreement gap (reference − split) per proxy at its chosen parameter, bars with error bars: one chart
    /// (gaps.png) while the proxies and heads fit one; beyond <see cref="GapsPerChart"/> of them (the code study has 40)
    /// one chart per proxy (gaps_PROXY.png), on a shared vertical scale so that the charts compare, since one chart
    /// that wide shrinks on the page until its labels cannot be read.
    /// </summary>
    public static List<(string File, string Caption)> Gaps(ResultsSet r, string dir)
    {
        var targets = r.Targets();
        var reference = r.Statistics.Reference;
        var oodSplits = r.Splits.Where(s => s != reference).ToList();
        var chosen = targets.Select(t => r.Chosen(t.Proxy, t.Site, t.Head)).ToArray();
        // Each bar: its target's index, split, mean and error (the larger half of the pooled 95 % interval).
        var bars = new List<(int Target, int Split, double Mean, double Err)>();
        for (int t = 0; t < targets.Count; t++)
        {
            var (proxy, site, head) = targets[t];
            var p = chosen[t];
            for (int s = 0; s < oodSplits.Count; s++)
                if (r.Statistics.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, oodSplits[s]) is { Estimate: double mean } gap)
                    bars.Add((t, s, mean, Math.Max((gap.CiHigh ?? mean) - mean, mean - (gap.CiLow ?? mean))));
        }
        var groups = targets.Count <= GapsPerChart
            ? [(Name: "", Members: Enumerable.Range(0, targets.Count).ToList())]
            : targets.Select((t, i) => (t.Proxy, i)).GroupBy(x => x.Proxy).Select(g => (Name: g.Key, Members: g.Select(x => x.i).ToList())).ToList();
        double lo = bars.Count == 0 ? -0.01 : Math.Min(0, bars.Min(b => b.Mean - b.Err)), hi = bars.Count == 0 ? 0.01 : Math.Max(0, bars.Max(b => b.Mean + b.Err));
        double pad = 0.05 * Math.Max(hi - lo, 1e-3);
        var files = new List<(string, string)>();
        foreach (var (name, members) in groups)
        {
            var plt = new Plot();
            double width = 0.8 / Math.Max(1, oodSplits.Count);
            var labels = new List<string>();
            for (int k = 0; k < members.Count; k++)
            {
                var (proxy, site, head) = targets[members[k]];
                // Three lines (proxy, parameter, head): on one, long names such as pca-uncentred run into their neighbours.
                labels.Add(Findings.Label(proxy, chosen[members[k]], site, head).Replace(" at ", "\n").Replace(" r=", "\nr=").Replace(" c=", "\nc=").Replace("blocks.", "L").Replace(".attn", ""));
                foreach (var b in bars.Where(b => b.Target == members[k]))
                    plt.Add.Bar(new Bar { Position = k + (b.Split - (oodSplits.Count - 1) / 2.0) * width, Value = b.Mean, Error = b.Err, Size = width * 0.9, FillColor = SplitColor(r, oodSplits[b.Split]) });
            }
            for (int s = 0; s < oodSplits.Count; s++) plt.Legend.ManualItems.Add(new LegendItem { LabelText = oodSplits[s], FillColor = SplitColor(r, oodSplits[s]) });
            LegendOutside(plt);
            plt.Axes.Bottom.SetTicks(Enumerable.Range(0, members.Count).Select(i => (double)i).ToArray(), labels.ToArray());
            plt.Axes.SetLimitsY(lo - pad, hi + pad);
            plt.Title(name == "" ? $"Generalization gap of each proxy: agreement on {reference} minus agreement on the split"
                : $"Generalization gap of {name} at each head: agreement on {reference} minus agreement on the split", 12);
            plt.YLabel($"agreement gap ({reference} − split)");
            string file = name == "" ? "gaps.png" : $"gaps_{Slug(name, "", null)}.png";
            files.Add((Save(plt, dir, file, Math.Max(W, 130 * members.Count + LegendWidth), 460),
                name == "" ? "Agreement gap per proxy and split" : $"Agreement gap of {name} per head and split (the same scale in every proxy's chart)"));
        }
        return files;
    }

    /// <summary>The proxy/head pairs one gap chart holds before it is split by proxy.</summary>
    const int GapsPerChart = 12;

    /// <summary>4. One attention map (model or proxy) on an example sequence, tokens on the axes.</summary>
    public static string Attention(float[][] pattern, IReadOnlyList<string> tokens, string title, string dir, string name)
    {
        int n = pattern.Length;
        var data = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) data[i, j] = pattern[i][j];
        var plt = new Plot();
        var hm = plt.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        plt.Axes.Margins(0, 0);   // the map fills its axes: no empty band beside the first and last tokens
        plt.Title(title, 12);
        var ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var labels = tokens.Take(n).Select(Visible).ToArray();
        plt.Axes.Bottom.SetTicks(ticks, labels);
        plt.Axes.Left.SetTicks(ticks.Select(t => (double)(n - 1 - t)).ToArray(), labels);
        plt.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plt.Axes.Bottom.TickLabelStyle.FontSize = 9; plt.Axes.Left.TickLabelStyle.FontSize = 9;
        plt.XLabel("key"); plt.YLabel("query");
        // About 11 px a token keeps every label readable on long inputs (code windows: 49 tokens).
        int size = Math.Max(420, 11 * n + 140);
        return Save(plt, dir, name, size, size + 20);
    }

    /// <summary>Characters that would be invisible on an axis (code windows): space, newline, tab.</summary>
    static string Visible(string token) => token switch { " " => "·", "\n" => "\\n", "\t" => "\\t", "\r" => "\\r", _ => token };

    /// <summary>5. First two principal components of a head's keys or queries, coloured by depth; train vs unseen_depth.</summary>
    public static string Pca(PcaPoints pts, string dir)
    {
        var plt = new Plot();
        var cmap = new ScottPlot.Colormaps.Turbo();
        int maxDepth = Math.Max(1, pts.Points.Max(p => p.Depth));
        // The first source is the fit set (dots); the other, the deep split (crosses).
        var fitSource = pts.Points.FirstOrDefault()?.Source;
        foreach (var group in pts.Points.GroupBy(p => (p.Source, p.Depth)).OrderBy(g => g.Key.Source).ThenBy(g => g.Key.Depth))
        {
            bool deep = group.Key.Source != fitSource;
            var m = plt.Add.ScatterPoints(group.Select(p => (double)p.Pc1).ToArray(), group.Select(p => (double)p.Pc2).ToArray());
            m.Color = cmap.GetColor(group.Key.Depth / (double)maxDepth).WithAlpha(0.8);
            m.MarkerShape = deep ? MarkerShape.Cross : MarkerShape.FilledCircle;
            m.MarkerSize = deep ? 7 : 4;
        }
        foreach (var src in pts.Points.Select(p => p.Source).Distinct())
            plt.Legend.ManualItems.Add(new LegendItem { LabelText = src + (src != fitSource ? " (×)" : " (•)"), MarkerShape = src != fitSource ? MarkerShape.Cross : MarkerShape.FilledCircle, MarkerColor = Colors.Gray, MarkerSize = 8 });
        foreach (int d in new[] { 0, maxDepth / 2, maxDepth }.Distinct())
            plt.Legend.ManualItems.Add(new LegendItem { LabelText = $"depth {d}", MarkerShape = MarkerShape.FilledSquare, MarkerColor = cmap.GetColor(d / (double)maxDepth), MarkerSize = 8 });
        LegendOutside(plt);
        plt.Title($"{pts.Kind} of {pts.Site} head {pts.Head}: first two principal components (colour = depth)", 12);
        plt.XLabel($"PC1 ({pts.ExplainedVariance.ElementAtOrDefault(0):P0} of variance)"); plt.YLabel($"PC2 ({pts.ExplainedVariance.ElementAtOrDefault(1):P0})");
        return Save(plt, dir, $"pca_{pts.Kind}_{Slug("", pts.Site, pts.Head)}.png", 640 + LegendWidth, 480);
    }

    /// <summary>6. Accuracy by depth on the deep split: the model vs each proxy at its chosen parameter.</summary>
    public static string? DepthAccuracy(ResultsSet r, string dir, string site, int? head, string split)
    {
        var rows = r.Breakdown.Where(b => b.Site == site && b.Head == head && b.Split == split && b.Breakdown == "depth").ToList();
        if (rows.Count == 0) return null;
        var plt = new Plot();
        var model = rows.Where(b => b.Metric == SplitFaithfulness.ModelAccuracy).GroupBy(b => b.Key).OrderBy(g => g.Key)
            .Where(g => g.Sum(x => x.N) >= 20).Select(g => (Key: (double)g.Key, Acc: g.Average(x => x.Value ?? 0))).ToList();
        int color = 0;
        foreach (var proxy in r.Targets().Where(t => t.Site == site && t.Head == head).Select(t => t.Proxy).Distinct())
        {
            var p = r.Chosen(proxy, site, head);
            var pts = rows.Where(b => b.Proxy == proxy && b.Parameter == p && b.Metric == SplitFaithfulness.ProxyAccuracy).GroupBy(b => b.Key).OrderBy(g => g.Key)
                .Where(g => g.Sum(x => x.N) >= 20).Select(g => (Key: (double)g.Key, Acc: g.Average(x => x.Value ?? 0))).ToList();
            if (pts.Count == 0) continue;
            var sc = plt.Add.Scatter(pts.Select(x => x.Key).ToArray(), pts.Select(x => x.Acc).ToArray());
            sc.LegendText = Findings.Label(proxy, p, site, head).Split(" at ")[0]; sc.Color = Palette.GetColor(1 + color++); sc.LinePattern = LinePattern.Dashed;
        }
        if (model.Count > 0)
        {
            var m = plt.Add.Scatter(model.Select(x => x.Key).ToArray(), model.Select(x => x.Acc).ToArray());
            m.LegendText = "model"; m.Color = Colors.Black; m.LineWidth = 3; m.MarkerSize = 7;
        }
        plt.Axes.SetLimitsY(0, 1.02);
        plt.Title($"Accuracy by depth on {split}: model vs proxies at {site} head {head}", 12);
        plt.XLabel(r.Categories.Count > 1 ? "bracket depth at the predicted character" : "depth of the closed bracket"); plt.YLabel("accuracy");
        IntegerTicks(plt, rows.Select(b => (double)b.Key));
        LegendOutside(plt);
        return Save(plt, dir, $"depth_accuracy_{Slug("", site, head)}.png");
    }

    /// <summary>
    /// 8. Depth or length: the model's accuracy (solid) and the proxies' mean agreement at their chosen parameters
    /// (dashed) per length bin, on the in-distribution split, the long unseen-structure split and the deep split.
    /// </summary>
    public static string? LengthBins(ResultsSet r, string dir, IReadOnlyList<string> splits)
    {
        int width = r.Manifest.LengthBinWidth;
        if (width <= 0) return null;
        var keys = r.Breakdown.Where(b => b.Breakdown == "length").Select(b => b.Key).Distinct().Order().ToList();
        if (keys.Count == 0) return null;
        var plt = new Plot();
        foreach (var split in splits)
            foreach (var (metric, dashed) in new[] { (SplitFaithfulness.ModelAccuracy, false), (SplitFaithfulness.Agreement, true) })
            {
                var pts = keys.Select(k => (K: k, V: r.BreakdownAverage(split, "length", k, metric))).Where(x => x.V is not null).ToList();
                if (pts.Count == 0) continue;
                var sc = plt.Add.Scatter(pts.Select(x => (double)x.K).ToArray(), pts.Select(x => x.V!.Value.Value).ToArray());
                sc.Color = SplitColor(r, split); sc.LineWidth = 2; sc.MarkerSize = 6;
                if (dashed) sc.LinePattern = LinePattern.Dashed;
                sc.LegendText = $"{split}: {(dashed ? "agreement (proxies)" : "model accuracy")}";
            }
        plt.Axes.Bottom.SetTicks(keys.Select(k => (double)k).ToArray(), keys.Select(k => Evaluation.LengthBins.Label(k, width)).ToArray());
        plt.Axes.SetLimitsY(0, 1.02);
        plt.Title("Depth or length: accuracy and agreement by sequence length", 12);
        plt.XLabel("sequence length (tokens)"); plt.YLabel("accuracy / agreement");
        LegendOutside(plt);
        return Save(plt, dir, "length_bins.png");
    }

    /// <summary>
    /// 7. (Tasks with categories.) Agreement gap per category of scored position and OOD split, averaged over every
    /// proxy and head at its chosen parameter; error bars: the spread (standard deviation) over those proxies and heads.
    /// </summary>
    public static string? CategoryGaps(ResultsSet r, string dir)
    {
        if (r.CategoryRows.Count == 0 || r.Categories.Count < 2) return null;
        var plt = new Plot();
        var ood = r.Splits.Where(s => s != r.Statistics.Reference).ToList();
        double width = 0.8 / Math.Max(1, ood.Count);
        for (int c = 0; c < r.Categories.Count; c++)
            for (int s = 0; s < ood.Count; s++)
            {
                var gaps = r.CategoryGaps(ood[s], r.Categories[c]);
                if (gaps.Count == 0) continue;
                double mean = gaps.Average();
                double sd = gaps.Count > 1 ? Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Count - 1)) : 0;
                plt.Add.Bar(new Bar { Position = c + (s - (ood.Count - 1) / 2.0) * width, Value = mean, Error = sd, Size = width * 0.9, FillColor = SplitColor(r, ood[s]) });
            }
        for (int s = 0; s < ood.Count; s++) plt.Legend.ManualItems.Add(new LegendItem { LabelText = ood[s], FillColor = SplitColor(r, ood[s]) });
        LegendOutside(plt);
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, r.Categories.Count).Select(i => (double)i).ToArray(), r.Categories.Select(c => c.Replace('_', ' ')).ToArray());
        plt.Title($"Agreement gap ({r.Statistics.Reference} − split) by category, mean over proxies and heads", 12);
        plt.YLabel("agreement gap");
        return Save(plt, dir, "category_gaps.png");
    }

    public static string Slug(string proxy, string site, int? head) =>
        string.Join("_", new[] { proxy, site.Replace("blocks.", "L").Replace(".attn", ""), head is int h ? $"h{h}" : "" }.Where(s => s != "")).Replace("-", "");
}
