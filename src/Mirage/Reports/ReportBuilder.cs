using System.Net;
using System.Text;
using Mirage.Faithfulness;
using Mirage.IO;

namespace Mirage.Reports;

/// <summary>
/// Builds REPORT/ from a results directory: PNG plots, report.md (the same tables and findings, linking the PNGs) and
/// a self-contained report.html (images embedded as data: URIs, inline CSS; opens offline). Staged, then renamed.
/// </summary>
public static class ReportBuilder
{
    /// <summary>A section of the report: heading, prose, tables (markdown-ish rows) and figures.</summary>
    sealed record Section(string Title, string Intro, List<(string Caption, List<string[]> Rows)> Tables, List<(string File, string Caption)> Figures);

    /// <summary>
    /// A report directory: report/manifest.json says "created_by": "mirage report"; one written before reports had a
    /// manifest is recognised by holding nothing but report.html, report.md, statistics.csv and PNG plots.
    /// </summary>
    public static readonly OutputKind Kind = new("mirage report", "a report directory", IsReport, Owns: OwnedNames);

    /// <summary>
    /// The report's own files: those its manifest lists, so that a picture of the user's (a screenshot, say) among the
    /// plots is refused rather than replaced with them; for a report written before the list, its kinds of file.
    /// </summary>
    static Func<string, bool> OwnedNames(string dir) => OutputManifest.Strings(dir, "files") is { } listed
        ? name => name == OutputManifest.File || listed.Contains(name)
        : IsReportFile;

    static bool IsReportFile(string name) => name is "report.html" or "report.md" or "statistics.csv" or OutputManifest.File || name.EndsWith(".png", StringComparison.Ordinal);

    static bool IsReport(string dir) => OutputManifest.CreatedBy(dir) == "mirage report" ||
        !File.Exists(Path.Combine(dir, OutputManifest.File)) && Directory.GetDirectories(dir).Length == 0 &&
        Directory.GetFiles(dir).Select(Path.GetFileName).All(f => IsReportFile(f!));

    /// <summary>
    /// What report/manifest.json holds: who wrote it, from which results (relative to the report's parent), with how
    /// many resamples, and every file it wrote (the only ones a later report may replace).
    /// </summary>
    sealed record ReportManifest(string Results, int Resamples, IReadOnlyList<string> Files, string CreatedBy = "mirage report");

    public static void Build(string resultsDir, string reportDir, int resamples = Statistics.StudyStatistics.DefaultResamples, string? referenceSplit = null) =>
        Build(ResultsSet.Load(resultsDir, resamples, referenceSplit), reportDir);

    /// <summary>Writes the report of results already loaded (so a caller can check them before claiming the output).</summary>
    public static void Build(ResultsSet r, string reportDir)
    {
        using var staging = new StagingDirectory(reportDir);
        // The pooled statistics every table, plot and finding below reads; also written out for pandas.
        Csv.Save(Path.Combine(staging.Path, "statistics.csv"), r.Statistics.Rows);
        var sections = Sections(r, staging.Path);
        var findings = Findings.From(r);
        AtomicFile.WriteAllText(Path.Combine(staging.Path, "report.md"), Markdown(r, findings, sections));
        AtomicFile.WriteAllText(Path.Combine(staging.Path, "report.html"), Html(r, findings, sections, staging.Path));
        // Last, so that it lists every file written (ordinal order: the same bytes every run).
        var files = Directory.GetFiles(staging.Path).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();
        Json.Save(Path.Combine(staging.Path, OutputManifest.File), new ReportManifest(StudyPaths.Relative(reportDir, r.Directory), r.StatisticsResamples, files));
        staging.Commit();
    }

    static List<Section> Sections(ResultsSet r, string dir)
    {
        var list = new List<Section>();
        // 1. Model accuracy.
        var seeds = r.ModelAccuracy.Select(m => m.Seed).Distinct().Order().ToList();
        var accRows = new List<string[]> { new[] { "seed" }.Concat(r.Splits).ToArray() };
        foreach (var s in seeds)
            accRows.Add(new[] { s.ToString() }.Concat(r.Splits.Select(sp => F(r.ModelAccuracy.FirstOrDefault(m => m.Seed == s && m.Split == sp && m.Breakdown == "all")?.Accuracy))).ToArray());
        var baseline = r.Baseline.Where(b => b.Category == "all").ToList();
        if (baseline.Count > 0)
            accRows.Add(new[] { "bigram baseline" }.Concat(r.Splits.Select(sp => F(baseline.FirstOrDefault(b => b.Split == sp)?.Accuracy))).ToArray());
        string metricText = r.Categories.Count > 1
            ? "Next-character accuracy (argmax over the whole vocabulary, every character of a window scored) of each trained model, per split and per bracket depth; the bigram baseline predicts each character from the previous one alone (counts on train)."
            : $"The task metric (closing brackets whose opener is at least {r.Manifest.MinDistance ?? 10} positions back, argmax over closers) of each trained model, per split and per depth; the bigram baseline predicts from the previous token alone.";
        list.Add(new Section("Model accuracy", metricText,
            [("Accuracy per split and seed", accRows)], Plots.ModelAccuracy(r, dir).Select(f => (f, f.Contains("depth") ? "Accuracy by depth (one line per seed and split; depths with fewer than 10 scored positions omitted)" : "Accuracy per split (one line per seed)")).ToList()));

        // 1b. Categories of scored position (code: closing brackets, repeated words, other): the code study's question.
        if (CategorySection(r, dir) is Section cat) list.Add(cat);

        // 2. Faithfulness tables and sweeps.
        var tables = new List<(string, List<string[]>)>();
        var figs = new List<(string, string)>();
        foreach (var (proxy, site, head) in r.Targets())
        {
            var rows = new List<string[]> { new[] { Simplify.ProxyCatalog.NounOf(proxy) }.Concat(r.Splits).ToArray() };
            foreach (var p in r.Parameters(proxy, site, head))
                rows.Add(new[] { p?.ToString() ?? "–" }.Concat(r.Splits.Select(s => Cell(r, proxy, p, site, head, s))).ToArray());
            tables.Add(($"{proxy} at {site} head {head}: agreement with the model [95 % interval, seeds and sequences resampled]; ▼ gap = {r.Statistics.Reference} − split (bold when significant at a false discovery rate of {r.Statistics.Fdr:P0})", rows));
            foreach (var metric in new[] { SplitFaithfulness.Agreement, SplitFaithfulness.AttentionJsd, SplitFaithfulness.AttentionJsdScored })
                if (Plots.Sweep(r, dir, proxy, site, head, metric) is string f) figs.Add((f, $"{proxy} at {site} head {head}: {metric.Replace('_', ' ')} vs {Simplify.ProxyCatalog.NounOf(proxy)}, one line per split, band = 95 % interval"));
        }
        list.Add(new Section("Faithfulness of each proxy", $"Each proxy is fitted on {r.Manifest.FitN} {r.Manifest.FitSplit} sequences and spliced into the model at one head; agreement is the fraction of scored positions where the proxy's prediction equals the model's. Means over {r.Seeds} seed(s).", tables, figs));

        // 3. Gaps.
        list.Add(new Section("Generalization gaps at one parameter per proxy", $"A secondary view (the findings and tables above cover every sweep point): agreement on {r.Statistics.Reference} minus agreement on each split, for each proxy at the parameter a researcher would pick — the smallest rank or cluster count whose iid agreement is at least 0.95 (else the largest swept). Error bars: 95 % intervals pooled over seeds and sequences.",
            [], Plots.Gaps(r, dir)));

        // 3a. Which positions are scored.
        if (ScoringSection(r) is Section sc) list.Add(sc);

        // 3c. Capacity or shift: the oracle control.
        if (OracleSection(r) is Section orc) list.Add(orc);

        // 3b. Depth or length.
        if (LengthSection(r, dir) is Section len) list.Add(len);

        // 4. Attention maps.
        var maps = new List<(string, string)>();
        foreach (var ex in r.Examples.Where(e => e.Seed == r.Examples.FirstOrDefault()?.Seed))
        {
            string slug = Plots.Slug("", ex.Site, ex.Head) + "_" + ex.Split;
            maps.Add((Plots.Attention(ex.Model, ex.Tokens, $"model, {ex.Split}", dir, $"attn_{slug}_model.png"), $"{ex.Site} head {ex.Head}, {ex.Split}: the model"));
            foreach (var pp in ex.Proxies.Where(pp => pp.Parameter == r.Chosen(pp.Proxy, ex.Site, ex.Head)))
                maps.Add((Plots.Attention(pp.Pattern, ex.Tokens, $"{Findings.Label(pp.Proxy, pp.Parameter, "", null).Split(" at")[0]}, {ex.Split}", dir, $"attn_{slug}_{Plots.Slug(pp.Proxy, "", null)}{pp.Parameter}.png"),
                    $"{ex.Site} head {ex.Head}, {ex.Split}: {Findings.Label(pp.Proxy, pp.Parameter, "", null).Split(" at")[0]}"));
        }
        var exampleSplits = string.Join(" and ", r.Examples.Select(e => e.Split).Distinct());
        if (maps.Count > 0) list.Add(new Section("Attention maps", $"The simplified head's attention on one example sequence from {exampleSplits} (code windows: their first 48 characters, · = space): the model, then each proxy at its chosen parameter (rows: query positions; columns: keys).", [], maps));
        else list.Add(new Section("Attention maps", "examples.json is missing from the results directory: no attention maps.", [], []));

        // 5. PCA of keys and queries.
        var pcs = r.PcaPoints.Select(p => (Plots.Pca(p, dir), $"{p.Kind} of {p.Site} head {p.Head}: train (•) vs {r.DeepSplit} (×), colour = depth")).ToList();
        list.Add(new Section("Keys and queries in their first two principal components", pcs.Count > 0 ? $"Principal directions fitted on the training fit set; {r.DeepSplit} points projected on them." : "pca_points.json is missing: no PCA plots.", [], pcs));

        // 6. Accuracy by depth, model vs proxies.
        var depth = r.Targets().Select(t => (t.Site, t.Head)).Distinct().Select(t => Plots.DepthAccuracy(r, dir, t.Site, t.Head, r.DeepSplit)).Where(f => f is not null)
            .Select(f => (f!, $"Accuracy by depth on {r.DeepSplit} (depths with fewer than 20 scored positions omitted)")).ToList();
        list.Add(new Section($"Who generalizes better? Accuracy by depth on {r.DeepSplit}", "The model (black) and each proxy at its chosen parameter. A proxy above the model generalizes better than what it is supposed to explain.", [], depth));
        return list;
    }

    /// <summary>
    /// Accuracy and faithfulness per category of scored position: the model vs the bigram baseline, and each proxy's
    /// agreement gap per category and OOD split. Only for tasks with several categories.
    /// </summary>
    static Section? CategorySection(ResultsSet r, string dir)
    {
        if (r.CategoryRows.Count == 0 || r.Categories.Count < 2) return null;
        var ood = r.Splits.Where(s => s != r.Statistics.Reference).ToList();
        // One row per split and category (not a column per split and measure): the table stays narrow enough to read
        // however many splits the study has, and the shares add up to 100 % down each split's rows.
        var acc = new List<string[]> { new[] { "split", "category", "model", "bigram baseline", "share of scored" } };
        foreach (var s in r.Splits)
        {
            var all = r.ModelAccuracy.Where(x => x.Split == s && x.Breakdown == "all").Sum(x => x.Scored);
            foreach (var (c, ci) in r.Categories.Select((c, i) => (c, i)))
            {
                var m = r.ModelAccuracy.Where(x => x.Split == s && x.Breakdown == "category" && x.Key == ci).ToList();
                acc.Add([ci == 0 ? s : "", c,
                    F(m.Count > 0 ? m.Average(x => x.Accuracy ?? double.NaN) : null),
                    F(r.Baseline.FirstOrDefault(b => b.Split == s && b.Category == c)?.Accuracy),
                    all == 0 ? "" : $"{(double)m.Sum(x => x.Scored) / all:P0}"]);
            }
        }
        // One row per proxy and category, a column per split: the categories of a proxy sit on adjacent rows.
        var gaps = new List<string[]> { new[] { "proxy", "category" }.Concat(ood).ToArray() };
        foreach (var (proxy, site, head) in r.Targets())
        {
            var p = r.Chosen(proxy, site, head);
            foreach (var (c, ci) in r.Categories.Select((c, i) => (c, i)))
                gaps.Add(new[] { ci == 0 ? Findings.Label(proxy, p, site, head) : "", c }.Concat(ood.Select(s =>
                    ShowGap(r.Statistics.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, s, c)))).ToArray());
        }
        // Closing brackets by the depth of the bracket they close: the code study's Dyck-like question, per split.
        var cb = $"depth:{r.Categories[0]}";
        var cbDepths = r.Breakdown.Where(b => b.Breakdown == cb).Select(b => b.Key).Distinct().Order().ToList();
        var byDepth = new List<string[]> { new[] { "depth" }.Concat(r.Splits).ToArray() };
        foreach (var d in cbDepths)
        {
            var cells = r.Splits.Select(s =>
            {
                var m = r.BreakdownAverage(s, cb, d, SplitFaithfulness.ModelAccuracy, minPositions: 10);
                var a = r.BreakdownAverage(s, cb, d, SplitFaithfulness.Agreement, minPositions: 10);
                return m is { } mv && a is { } av ? $"{F(mv.Value)} / {F(av.Value)} (n={mv.Positions})" : "";
            }).ToArray();
            if (cells.Any(c => c.Length > 0)) byDepth.Add([d.ToString(), .. cells]);   // a depth too rare on every split is no row
        }
        var figs = new List<(string, string)>();
        if (Plots.CategoryGaps(r, dir) is string f) figs.Add((f, "Agreement gap by category and split, mean over every proxy and head at its chosen parameter; error bars: standard deviation over them"));
        return new Section("Accuracy and faithfulness by category", "Which kind of character carries the gaps? Scored positions fall into closing brackets, characters of an identifier that already occurred earlier in the window (the copying, induction-head behaviour) and everything else. Share = fraction of the split's scored positions.",
            [("Model accuracy (mean over seeds) and the bigram baseline per category", acc),
             ($"{r.Categories[0]} by the depth of the bracket it closes: model accuracy / mean agreement of the proxies at their chosen parameters (n = scored positions over seeds; fewer than 10 omitted)", byDepth),
             ($"Agreement gap ({r.Statistics.Reference} − split) per category, each proxy at its chosen parameter (bold when significant at a false discovery rate of 5 %)", gaps)], figs);
    }

    /// <summary>
    /// Which positions are scored? Model accuracy and each proxy's gap on the deep split under the task metric and
    /// under each scoring variant (Dyck: every closer, as Murty et al.'s evaluation code in effect does).
    /// </summary>
    static Section? ScoringSection(ResultsSet r)
    {
        if (r.Manifest.ScoringVariants.Count == 0) return null;
        string main = r.Manifest.MinDistance is int d ? $"distance ≥ {d}" : "task metric";
        var variants = r.Manifest.ScoringVariants;
        string Name(string v) => v == "min_distance_1" ? "every closer" : v;
        var acc = new List<string[]> { new[] { "scoring" }.Concat(r.Splits).ToArray() };
        acc.Add(new[] { main }.Concat(r.Splits.Select(s => F(Average(r.ModelAccuracy.Where(m => m.Split == s && m.Breakdown == "all"))))).ToArray());
        foreach (var v in variants)
            acc.Add(new[] { Name(v) }.Concat(r.Splits.Select(s => F(Average(r.ModelAccuracy.Where(m => m.Split == s && m.Breakdown == v))))).ToArray());
        var st = r.Statistics;
        var ood = r.Splits.Where(s => s != st.Reference).ToList();
        // One row per proxy and scoring, a column per split, so that the two scorings of a gap sit one above the other.
        var gaps = new List<string[]> { new[] { "proxy", "scoring" }.Concat(ood).ToArray() };
        foreach (var (proxy, site, head) in r.Targets())
        {
            var p = r.Chosen(proxy, site, head);
            var label = Findings.Label(proxy, p, site, head);
            gaps.Add(new[] { label, main }.Concat(ood.Select(s => ShowGap(st.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, s)))).ToArray());
            foreach (var v in variants)
                gaps.Add(new[] { "", Name(v) }.Concat(ood.Select(s => ShowGap(st.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, s, v)))).ToArray());
        }
        return new Section("Which positions are scored?", $"The task metric scores closing brackets whose opener is at least {r.Manifest.MinDistance} positions back; Murty et al.'s evaluation code computes that threshold but in effect scores every closer. The same forward passes, scored both ways.",
            [("Model accuracy (mean over seeds) under each scoring", acc),
             ($"Agreement gap ({st.Reference} − split) under each scoring, each proxy at its chosen parameter (bold when significant at a false discovery rate of 5 %)", gaps)], []);
    }

    /// <summary>
    /// Capacity or shift? Each data proxy at its chosen parameter on the held-out half of every split, fitted on the
    /// training fit set and on the split itself: agreement and its gap to the reference split.
    /// </summary>
    static Section? OracleSection(ResultsSet r)
    {
        if (!r.Manifest.Oracle) return null;
        var st = r.Statistics;
        var rows = new List<string[]> { new[] { "proxy", "fit on" }.Concat(r.Splits).ToArray() };
        foreach (var (proxy, site, head) in r.Targets().Where(t => Simplify.ProxyCatalog.Describe(t.Proxy)?.NeedsData == true))
        {
            var p = r.Chosen(proxy, site, head);
            foreach (var (fit, category) in new[] { ("train", Statistics.OutcomeKey.OracleTrainFit), ("the split", Statistics.OutcomeKey.OracleSplitFit) })
                rows.Add(new[] { Findings.Label(proxy, p, site, head), fit }.Concat(r.Splits.Select(s =>
                {
                    var a = st.Find(Statistics.StudyStatistics.Agreement, proxy, p, site, head, s, category);
                    var g = st.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, s, category);
                    if (a?.Estimate is not double v) return "";
                    var gap = g?.Estimate is double x ? " ▼" + (g.Significant ? $"**{Format.Signed(x)}**" : Format.Signed(x)) : "";
                    return F(v) + gap;
                })).ToArray());
        }
        if (rows.Count == 1) return null;
        return new Section("Capacity or shift? Oracle fits", $"Every data proxy is fitted a second time, on each split itself (on {r.Manifest.FitN} of its sequences that are not scored), and both fits are scored on the held-out half of the split (its odd-numbered sequences). A gap to {st.Reference} that the fit on the split closes is the distribution shift: fitted on such data, the proxy would follow the model. A gap that survives it is a limit of the proxy's capacity.",
            [($"Agreement on the held-out half, fitted on the training fit set or on the split itself; ▼ gap = {st.Reference} − split within the same fit (bold when significant at a false discovery rate of 5 %)", rows)], []);
    }

    static double? Average(IEnumerable<Faithfulness.ModelAccuracyRow> rows)
    {
        var v = rows.Where(x => x.Accuracy is not null).Select(x => x.Accuracy!.Value).ToList();
        return v.Count == 0 ? null : v.Average();
    }

    /// <summary>
    /// Depth or length? The deep split's strings are also longer: accuracy and agreement per length bin, agreement by
    /// depth within each length bin, and the length-matched gap of every proxy at its chosen parameter.
    /// </summary>
    static Section? LengthSection(ResultsSet r, string dir)
    {
        int width = r.Manifest.LengthBinWidth;
        string inDist = r.Statistics.References[0], deep = r.DeepSplit;
        var keys = r.Breakdown.Where(b => b.Breakdown == "length").Select(b => b.Key).Distinct().Order().ToList();
        if (width <= 0 || keys.Count == 0) return null;
        var shown = new[] { inDist, "unseen_structure_long", deep }.Where(r.Splits.Contains).Distinct().ToList();
        var figs = new List<(string, string)>();
        if (Plots.LengthBins(r, dir, shown) is string f)
            figs.Add((f, $"Model accuracy (solid) and mean agreement of the proxies at their chosen parameters (dashed) per length bin; bins with fewer than 20 scored positions omitted"));
        // Agreement by depth within each length bin: in-distribution / deep.
        var depths = r.Breakdown.Where(b => b.Breakdown.StartsWith("depth_in_length_") && (b.Split == inDist || b.Split == deep)).Select(b => b.Key).Distinct().Order().ToList();
        var byDepth = new List<string[]> { new[] { "depth" }.Concat(keys.Select(k => Evaluation.LengthBins.Label(k, width))).ToArray() };
        foreach (var d in depths)
            byDepth.Add(new[] { d.ToString() }.Concat(keys.Select(k =>
            {
                var name = Evaluation.LengthBins.DepthBreakdown(k, width);
                var a = r.BreakdownAverage(inDist, name, d, SplitFaithfulness.Agreement);
                var b = r.BreakdownAverage(deep, name, d, SplitFaithfulness.Agreement);
                return a is null && b is null ? "" : $"{(a is { } x ? F(x.Value) : "–")} / {(b is { } y ? F(y.Value) : "–")}";
            })).ToArray());
        var matched = new List<string[]> { new[] { "proxy", $"gap to {inDist}", "length-matched gap" } };
        foreach (var (proxy, site, head) in r.Targets())
        {
            var p = r.Chosen(proxy, site, head);
            var raw = r.Statistics.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, deep, reference: inDist);
            var lm = r.Statistics.Find(Statistics.StudyStatistics.AgreementGapLengthMatched, proxy, p, site, head, deep);
            string Show(Statistics.StatRow? t) => t?.Estimate is double ? ShowGap(t) + " " + Format.Interval(t.CiLow, t.CiHigh) : "";
            matched.Add([Findings.Label(proxy, p, site, head), Show(raw), Show(lm)]);
        }
        return new Section("Depth or length?", $"Strings of {deep} are deeper and also longer than training strings, and long strings are rare in training. These tables separate the two: agreement within {width}-token length bins, and the length-matched gap — the gap to {inDist} within each length bin, weighted by {deep}'s scored positions — with the same pooled bootstrap and false discovery rate as every other test. A gap that survives matching lengths is a depth effect.",
            [($"Agreement by depth of the closed bracket within each length bin, {inDist} / {deep} (mean over proxies at their chosen parameters; cells with fewer than 20 positions empty)", byDepth),
             ($"Gap on {deep} to {inDist}, raw and length-matched, each proxy at its chosen parameter (bold when significant at a false discovery rate of 5 %)", matched)], figs);
    }

    /// <summary>A gap as "+0.031", bold (markdown) when significant; empty when not measured.</summary>
    static string ShowGap(Statistics.StatRow? t) => t?.Estimate is double g ? (t.Significant ? $"**{Format.Signed(g)}**" : Format.Signed(g)) : "";

    /// <summary>"0.912 [0.90, 0.93] ▼+0.041": the pooled agreement, its interval, and the gap to iid (bold when significant).</summary>
    static string Cell(ResultsSet r, string proxy, int? p, string site, int? head, string split)
    {
        var v = r.Statistics.Find(Statistics.StudyStatistics.Agreement, proxy, p, site, head, split);
        if (v?.Estimate is not double mean) return "";
        string ci = v.CiLow is not null ? " " + Format.Interval(v.CiLow, v.CiHigh, 2) : "";
        var gap = r.Statistics.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, split);
        if (gap?.Estimate is not double g) return $"{mean:F3}{ci}";
        var text = "▼" + Format.Signed(g);
        return $"{mean:F3}{ci} " + (gap.Significant ? $"**{text}**" : text);
    }

    static string F(double? v) => v is double d ? d.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) : "";

    static string Markdown(ResultsSet r, List<string> findings, List<Section> sections)
    {
        var sb = new StringBuilder();
        sb.Append($"# Mirage report: {r.Manifest.Task}\n\nResults: `{r.Manifest.Data}` data, {r.Seeds} seed(s), proxies {string.Join(", ", r.Manifest.Proxies)}; {r.Manifest.Threads} libtorch thread(s).\n\n## Findings\n\n");
        foreach (var f in findings) sb.Append($"- {f}\n");
        foreach (var s in sections)
        {
            sb.Append($"\n## {s.Title}\n\n{s.Intro}\n\n");
            foreach (var (caption, rows) in s.Tables)
            {
                sb.Append($"**{caption}**\n\n| {string.Join(" | ", rows[0])} |\n|{string.Concat(rows[0].Select(_ => "---|"))}\n");
                foreach (var row in rows.Skip(1)) sb.Append($"| {string.Join(" | ", row)} |\n");
                sb.Append('\n');
            }
            foreach (var (file, caption) in s.Figures) sb.Append($"![{caption}]({file})\n\n");
        }
        return sb.ToString();
    }

    static string Html(ResultsSet r, List<string> findings, List<Section> sections, string dir)
    {
        string E(string s) => WebUtility.HtmlEncode(s);
        string Md(string cell) => System.Text.RegularExpressions.Regex.Replace(E(cell), @"\*\*(.+?)\*\*", "<strong class=\"gap\">$1</strong>");
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mirage report</title><style>")
          .Append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1.5em;color:#222;line-height:1.5}")
          .Append("h1{border-bottom:2px solid #444;padding-bottom:.3em}h2{margin-top:2em;border-bottom:1px solid #ccc}")
          .Append("table{border-collapse:collapse;margin:1em 0;font-size:.88em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f3f3f3}.label{text-align:left}td.label+td.label{white-space:nowrap}.table{overflow-x:auto}")
          .Append(".gap{color:#b00}.findings li{margin:.3em 0}figure{display:inline-block;margin:.5em;vertical-align:top}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85em;color:#555;max-width:640px}")
          .Append(".caption{font-weight:600;margin-top:1.2em}.meta{color:#555}</style></head><body>");
        sb.Append($"<h1>Mirage report: {E(r.Manifest.Task)}</h1><p class=\"meta\">Data <code>{E(r.Manifest.Data)}</code>; {r.Seeds} seed(s); proxies {E(string.Join(", ", r.Manifest.Proxies))}; fitted on {r.Manifest.FitN} {E(r.Manifest.FitSplit)} sequences; {r.Manifest.Threads} libtorch thread(s).</p>");
        sb.Append("<h2>Findings</h2><ul class=\"findings\">");
        foreach (var f in findings) sb.Append($"<li>{E(f)}</li>");
        sb.Append("</ul>");
        foreach (var s in sections)
        {
            // Anchors, so a section can be linked (report.html#generalization-gaps).
            var id = System.Text.RegularExpressions.Regex.Replace(s.Title.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
            sb.Append($"<h2 id=\"{id}\">{E(s.Title)}</h2><p>{E(s.Intro)}</p>");
            foreach (var (caption, rows) in s.Tables)
            {
                // Label columns (the first, and any whose cells are all words: a scoring, a category) align left,
                // numbers right. A table wider than the page scrolls in its own box instead of widening the page.
                var label = rows[0].Select((_, i) => i == 0 || rows.Skip(1).All(row => i >= row.Length || row[i].Length == 0 || char.IsLetter(row[i][0]))).ToArray();
                string Td(string c, int i) => label[i] ? $"<td class=\"label\">{Md(c)}</td>" : $"<td>{Md(c)}</td>";
                sb.Append($"<div class=\"caption\">{Md(caption)}</div><div class=\"table\"><table><tr>{string.Concat(rows[0].Select((h, i) => label[i] ? $"<th class=\"label\">{E(h)}</th>" : $"<th>{E(h)}</th>"))}</tr>");
                foreach (var row in rows.Skip(1)) sb.Append($"<tr>{string.Concat(row.Select(Td))}</tr>");
                sb.Append("</table></div>");
            }
            foreach (var (file, caption) in s.Figures)
                sb.Append($"<figure><img alt=\"{E(caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, file)))}\"><figcaption>{E(caption)}</figcaption></figure>");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }
}
