using System.CommandLine;
using Mirage.Cli.Display;
using Mirage.Cli.Terminal;
using Mirage.Faithfulness;
using Mirage.IO;
using Mirage.Simplify;
using Mirage.Study;
using Spectre.Console;

namespace Mirage.Cli.Commands;

/// <summary>
/// <c>mirage simplify --run RUN --data DIR --proxy pca --out RES</c>: fit proxies on training data, splice them in,
/// and measure faithfulness on every split (docs/results-format.md describes RES).
/// </summary>
public static class SimplifyCommand
{
    public static Command Create(CliContext ctx)
    {
        var runs = new Option<string[]>("--run") { Description = "Run directory (repeat, or a glob like 'runs/seed*', for several seeds)", Required = true, AllowMultipleArgumentsPerToken = false };
        var data = new Option<string>("--data") { Description = "Data directory", Required = true };
        var proxies = new Option<string[]>("--proxy") { Description = $"Proxy to fit (repeatable): {string.Join(", ", ProxyCatalog.Names)}; default pca, kmeans, onehot, weight-svd" };
        var sweep = new Option<string[]>("--sweep") { Description = "Parameters, e.g. 1,2,4,8 (for every parameterised proxy) or pca=1,2,4 (repeatable)" };
        var site = new Option<string[]>("--site") { Description = "Attention block(s) to simplify, e.g. blocks.1.attn, or all (default)" };
        var heads = new Option<string>("--heads") { Description = "Heads to simplify one at a time: all (default) or e.g. 0,2", DefaultValueFactory = _ => "all" };
        var fitSplit = new Option<string>("--fit-split") { Description = "Split the proxies are fitted on", DefaultValueFactory = _ => "train" };
        var fitN = new Option<int>("--fit-n") { Description = "Sequences of the fit split to fit on", DefaultValueFactory = _ => 1000 };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples for the 95 % intervals", DefaultValueFactory = _ => Bootstrap.DefaultResamples };
        var output = new Option<string>("--out") { Description = "Results directory (an earlier results directory there is replaced; anything else is refused)", Required = true };
        var oracle = new Option<bool>("--oracle") { Description = "Also fit every data proxy on half of each evaluation split and score both fits on the other half (capacity or shift?)" };
        var evalN = new Option<int?>("--eval-n") { Description = "Measure the proxies on the first N sequences of each split (default: all; model accuracy always uses every sequence)" };
        var minDistance = new Option<int?>("--min-distance") { Description = "Dyck: score closers whose opener is at least this far back (default: the data's, 10); every closer is also measured, as a variant" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads; results are bit-identical only at the same thread count", DefaultValueFactory = _ => new SimplifyConfig().Threads };
        var quiet = new Option<bool>("--quiet") { Description = "No progress display or tables" };
        var cmd = new Command("simplify", "Fit simplified proxies on training data, splice them into the model, and measure faithfulness in and out of distribution.")
        { runs, data, proxies, sweep, site, heads, fitSplit, fitN, evalN, oracle, resamples, minDistance, threads, output, quiet };
        cmd.SetAction(r =>
        {
            var names = r.GetValue(proxies) is { Length: > 0 } given ? given.ToList() : new SimplifyConfig().Proxies.ToList();
            foreach (var n in names) ProxyCatalog.CheckName(n);
            var config = new SimplifyConfig
            {
                Proxies = names, Sweeps = ParseSweeps(r.GetValue(sweep) ?? [], names), Sites = r.GetValue(site) ?? [],
                Heads = ParseHeads(r.GetValue(heads)!), FitSplit = r.GetValue(fitSplit)!, FitN = r.GetValue(fitN), BootstrapResamples = r.GetValue(resamples), Threads = r.GetValue(threads), MinDistance = r.GetValue(minDistance), Oracle = r.GetValue(oracle), EvalN = r.GetValue(evalN),
            };
            if (config.BootstrapResamples < 1) throw new UserError($"--resamples must be >= 1, found {config.BootstrapResamples}");
            return Run(ctx, ExpandRuns(r.GetValue(runs)!), r.GetValue(data)!, config, r.GetValue(output)!, r.GetValue(quiet));
        });
        return cmd;
    }

    /// <summary>
    /// The proxy stage into a results directory (<see cref="ProxyStage.RunInto"/>: every check before the work, then
    /// computed under the output's lock and written in one rename), with a progress display; SIGINT/SIGTERM stop it
    /// with nothing written (exit 130/143).
    /// </summary>
    public static int Run(CliContext ctx, IReadOnlyList<string> runs, string dataDir, SimplifyConfig config, string output, bool quiet)
    {
        OutputDirectory.Check(output, "--out", ResultsWriter.Kind, runs.Append(dataDir));   // the output's problems first, before reading anything
        var data = TaskDataLoader.Load(dataDir);
        var stop = ctx.StopOnSignal();
        ProxyStage Stage(IProgress<StageProgress>? progress) => new(data, config) { Progress = progress, PathLabel = p => StudyPaths.Relative(output, p), Cancel = stop };
        if (data.Splits.TryGetValue(config.FitSplit, out var fit) && fit.Count < config.FitN)
            ctx.Say($"--fit-n {config.FitN}: the {config.FitSplit} split has {fit.Count} sequences; fitting on all of them (recorded as fit_n {Stage(null).FitN})");
        var results = ProxyDisplay.Run(ctx, quiet, progress => Stage(progress).RunInto(output, runs, [dataDir]));
        if (!quiet) Tables.Print(ctx, results);
        ctx.Say($"wrote {Path.Combine(output, "faithfulness.csv")} ({results.Rows.Count} rows) and the rest of {output}");
        return 0;
    }

    static List<string> ExpandRuns(string[] given)
    {
        var runs = new List<string>();
        foreach (var g in given)
        {
            if (!g.Contains('*') && !g.Contains('?')) { runs.Add(g); continue; }
            var dir = Path.GetDirectoryName(g) is { Length: > 0 } d ? d : ".";
            var matches = Directory.Exists(dir) ? Directory.GetDirectories(dir, Path.GetFileName(g)).Order().ToList() : [];
            if (matches.Count == 0) throw new UserError($"--run {g}: no directory matches");
            runs.AddRange(matches);
        }
        return runs;
    }

    static Dictionary<string, IReadOnlyList<int>> ParseSweeps(string[] specs, List<string> proxies)
    {
        var d = new Dictionary<string, IReadOnlyList<int>>();
        foreach (var spec in specs)
        {
            var (targets, list) = spec.Contains('=') ? ([spec[..spec.IndexOf('=')]], spec[(spec.IndexOf('=') + 1)..]) : (proxies.Where(n => ProxyCatalog.Parse(n).Descriptor.HasParameter).ToList(), spec);
            foreach (var t in targets) ProxyCatalog.CheckName(t);
            // A sweep that would be silently ignored is refused: it names a proxy not asked for, or one without a parameter.
            if (targets.Count == 0)
                throw new UserError($"--sweep {spec}: none of the proxies ({string.Join(", ", proxies)}) takes a parameter; drop --sweep or add --proxy pca, kmeans or weight-svd");
            foreach (var t in targets)
            {
                if (!proxies.Contains(t)) throw new UserError($"--sweep {spec}: {t} is not among the proxies ({string.Join(", ", proxies)}); add --proxy {t} or drop this sweep");
                if (!ProxyCatalog.Parse(t).Descriptor.HasParameter) throw new UserError($"--sweep {spec}: {t} takes no parameter; drop this sweep");
            }
            var values = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => int.TryParse(v, out var x) ? x : throw new UserError($"--sweep {spec}: '{v}' is not an integer")).ToList();
            if (values.Count == 0) throw new UserError($"--sweep {spec}: no values");
            foreach (var t in targets) d[t] = values;
        }
        return d;
    }

    static List<int> ParseHeads(string spec) => spec == "all" ? []
        : spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.TryParse(v, out var x) ? x : throw new UserError($"--heads {spec}: expected 'all' or head indices like 0,2")).ToList();

    /// <summary>
    /// One table per proxy and head: rows = parameter, columns = splits, cells = agreement (mean over seeds) and its
    /// gap to iid, marked when significant by the same pooled statistics the report uses.
    /// </summary>
    static class Tables
    {
        public static void Print(CliContext ctx, SimplifyResults r)
        {
            var st = Statistics.StudyStatistics.Compute(r.Outcomes, r.Manifest.Splits, r.Manifest.ReferenceSplits, r.Manifest.ReferenceSplits[0],
                lengths: r.SequenceLengths, lengthBinWidth: r.Manifest.LengthBinWidth);
            foreach (var (proxy, site, head) in r.Rows.Select(x => (x.Proxy, x.Site, x.Head)).Distinct())
            {
                var t = new Table().Title($"{proxy} at {site} head {head}: agreement (mean over {r.Manifest.Runs.Count} seed(s)); ▼gap = {st.Reference} − split, * = significant (FDR {st.Fdr:P0}, seeds and sequences pooled)")
                    .AddColumn(ProxyCatalog.NounOf(proxy));
                foreach (var s in r.Manifest.Splits) t.AddColumn(ColumnHeader.Split(s));
                var parameters = r.Rows.Where(x => x.Proxy == proxy && x.Site == site && x.Head == head).Select(x => x.Parameter).Distinct().OrderBy(p => p ?? 0);
                foreach (var p in parameters)
                {
                    var cells = new List<string> { p?.ToString() ?? "–" };
                    foreach (var s in r.Manifest.Splits)
                    {
                        var a = st.Find(Statistics.StudyStatistics.Agreement, proxy, p, site, head, s);
                        var gap = st.Find(Statistics.StudyStatistics.AgreementGap, proxy, p, site, head, s);
                        var cell = a?.Estimate is double m ? $"{m:F3}" : "n/a";
                        if (gap?.Estimate is double gm) cell += gap.Significant ? $" [yellow]▼{Reports.Format.Signed(gm)}*[/]" : $" [grey]▼{Reports.Format.Signed(gm)}[/]";
                        cells.Add(cell);
                    }
                    t.AddRow(cells.ToArray());
                }
                ctx.Console.Write(t);
            }
        }
    }
}
