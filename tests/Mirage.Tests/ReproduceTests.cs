using System.Globalization;
using System.Text.RegularExpressions;

namespace Mirage.Tests;

/// <summary>`mirage reproduce dyck --scale quick` end to end, then `mirage report` checks against faithfulness.csv.</summary>
public class ReproduceTests : TempDirectoryTests
{
    [Fact]
    public void Quick_reproduction_in_two_processes_and_directories_gives_identical_bytes_skips_finished_stages_and_its_report_matches_the_csv()
    {
        // Two separate `mirage` processes into two directories: every result and report file must be byte-identical
        // (paths in them are relative to the study directory; nothing depends on the process's hash seed).
        // Study b runs its tasks as two local processes at a time: the same bytes again.
        foreach (var (name, jobs) in new[] { ("a", "1"), ("b", "2") })
        {
            var psi = CliProcess.StartInfo(Dir, "reproduce", "dyck", "--scale", "quick", "--seeds", "2", "--out", name, "--jobs", jobs, "--quiet");
            // As a user who chose no OpenMP waiting (this process may carry Mirage's own choice from other tests).
            psi.Environment.Remove("OMP_WAIT_POLICY");
            psi.Environment.Remove("GOMP_SPINCOUNT");
            var (c, o, e) = CliProcess.Run(psi);
            Assert.True(c == 0, e + o);
            // Each task's time and peak memory: said when it ends (by the parent for a child process), kept in its ledger entry.
            Assert.Matches(new Regex(@"proxies:1:? done.*: \d+:\d\d, peak resident memory \d+\.\d\d GB"), o);
            using var entry = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, name, "stages", "train-1.json")));
            Assert.True(entry.RootElement.GetProperty("seconds").GetDouble() > 0);
            Assert.True(entry.RootElement.GetProperty("peak_rss_bytes").GetInt64() > 50_000_000);   // libtorch alone is more
            Assert.Equal(Environment.MachineName, entry.RootElement.GetProperty("host").GetString());
            // ... and the processor, which the time depends on.
            Assert.Equal(Native.CpuInfo.Read()?.ToString(), entry.RootElement.GetProperty("cpu").GetString());
            // ... and how its OpenMP threads waited: a short spin, unless tasks side by side (2 threads each) outnumber the cores.
            bool shared = jobs == "2" && 2 * 2 > Environment.ProcessorCount;
            Assert.Equal($"OMP_WAIT_POLICY PASSIVE, GOMP_SPINCOUNT {(shared ? 0 : 3000)}", entry.RootElement.GetProperty("openmp_wait").GetString());
            using (var data = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, name, "stages", "data.json"))))   // no libtorch, no OpenMP threads
                Assert.True(!data.RootElement.TryGetProperty("openmp_wait", out var w) || w.ValueKind == System.Text.Json.JsonValueKind.Null);
            // Every task ran in a process of its own (so the study's memory peak is its largest task's), and the
            // parent printed each task's header once.
            var pids = Directory.GetFiles(Path.Combine(Dir, name, "stages"), "*.json")
                .Select(f => { using var d = System.Text.Json.JsonDocument.Parse(File.ReadAllText(f)); return d.RootElement.GetProperty("pid").GetInt32(); }).ToList();
            Assert.Equal(6, pids.Count);
            Assert.Equal(6, pids.Distinct().Count());
            if (jobs == "1")
            {
                foreach (var (task, k) in new[] { ("data", 1), ("train:0", 2), ("train:1", 3), ("proxies:0", 4), ("proxies:1", 5), ("report", 6) })
                    Assert.Single(Regex.Matches(o, $@"^\[{k}/6\] {task} — ", RegexOptions.Multiline));
                Assert.DoesNotContain("[1/1]", o);
            }
        }
        var study = Path.Combine(Dir, "a");
        foreach (var f in new[] { "data/manifest.json", "runs/seed0/checkpoint/model.safetensors", "runs/seed1/loss.csv", "proxies/seed1/faithfulness.csv", "results/faithfulness.csv", "results/outcomes.safetensors", "report/report.html", "report/report.md", "report/statistics.csv", "report/gaps.png", "stages/report.json" })
            Assert.True(File.Exists(Path.Combine(study, f)), f);
        var compared = new List<string>();
        foreach (var sub in new[] { "results", "report", "proxies/seed0", "proxies/seed1", "runs/seed0/checkpoint", "runs/seed1" })
            foreach (var f in Directory.GetFiles(Path.Combine(study, sub)).Select(Path.GetFileName).Where(f => f != "timing.csv").Order())
            {
                var other = Path.Combine(Dir, "b", sub, f!);
                Assert.True(File.ReadAllBytes(Path.Combine(study, sub, f!)).SequenceEqual(File.ReadAllBytes(other)), $"{sub}/{f} differs between the two studies");
                compared.Add($"{sub}/{f}");
            }
        Assert.Contains("results/faithfulness.csv", compared);
        Assert.Contains("report/report.md", compared);
        Assert.DoesNotContain(Dir, File.ReadAllText(Path.Combine(study, "results", "faithfulness.csv")));
        Assert.DoesNotContain(Dir, File.ReadAllText(Path.Combine(study, "report", "report.html")));

        // Second run: every stage is skipped and nothing is rewritten.
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(study, "results", "faithfulness.csv"));
        var (code, stdout, _) = CliRunner.Run("reproduce", "dyck", "--scale", "quick", "--seeds", "2", "--out", study, "--quiet");
        Assert.Equal(0, code);
        Assert.Equal(6, Regex.Matches(stdout, "skipped").Count);   // data, train:0, train:1, proxies:0, proxies:1, report
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(study, "results", "faithfulness.csv")));

        // The report: self-contained HTML, valid PNGs, and table numbers taken from the CSV summary.
        var report = Path.Combine(study, "report");
        var html = File.ReadAllText(Path.Combine(report, "report.html"));
        Assert.DoesNotMatch("(src|href)=\"https?:", html);
        Assert.Contains("data:image/png;base64,", html);
        foreach (var png in Directory.GetFiles(report, "*.png"))
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(png)[..4]);
        var summary = File.ReadAllLines(Path.Combine(study, "results", "faithfulness_summary.csv"));
        var header = summary[0].Split(',');
        var onehotIid = summary.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(x => x.First, x => x.Second))
            .Single(r => r["proxy"] == "onehot" && r["site"] == "blocks.1.attn" && r["head"] == "0" && r["split"] == "iid" && r["metric"] == "agreement");
        var mean = double.Parse(onehotIid["mean"], CultureInfo.InvariantCulture).ToString("F3", CultureInfo.InvariantCulture);
        var md = File.ReadAllText(Path.Combine(report, "report.md"));
        var table = md[md.IndexOf("onehot at blocks.1.attn head 0: agreement", StringComparison.Ordinal)..];
        Assert.StartsWith($"| – | {mean}", table.Split('\n').First(l => l.StartsWith("| –")));
        Assert.Contains("## Findings", md);
        // The scoring table: a row per proxy and scoring, a column per out-of-distribution split (a column per split
        // and scoring made it wider than the page); the variant's row follows its proxy's and leaves the label blank.
        var lines = md.Split('\n');
        int scoring = Array.FindIndex(lines, l => l.StartsWith("| proxy | scoring |"));
        Assert.Equal("| proxy | scoring | seen_structure | unseen_structure_short | unseen_structure_long | unseen_depth |", lines[scoring]);
        var scoringRows = lines.Skip(scoring + 2).TakeWhile(l => l.StartsWith('|')).Select(l => l.Split(" | ")).ToList();
        Assert.Equal(2 * 4 * 2, scoringRows.Count);   // 2 heads × 4 proxies, each at its chosen parameter, × 2 scorings
        Assert.All(scoringRows.Where((_, i) => i % 2 == 0), r => Assert.StartsWith("distance ≥ ", r[1]));
        Assert.All(scoringRows.Where((_, i) => i % 2 == 1), r => { Assert.Equal("| ", r[0]); Assert.Equal("every closer", r[1]); });
        // In the HTML every table scrolls in a box of its own, and words align left.
        Assert.Equal(Regex.Matches(html, "<table>").Count, Regex.Matches(html, "<div class=\"table\"><table>").Count);
        Assert.Contains("<td class=\"label\">every closer</td>", html);
        // The findings read each proxy over its whole sweep, and say how significance was decided.
        Assert.Matches(new Regex(@"- pca at blocks\.0\.attn head 0 \(r = 1, 2, 4, 8, 16, 32; agreement [0-9.–]+ on iid\)"), md);
        Assert.Contains("Benjamini–Hochberg", md);
        // statistics.csv: one agreement_gap test per proxy point, head and OOD split, with q-values.
        var stats = File.ReadAllLines(Path.Combine(report, "statistics.csv"));
        Assert.StartsWith("test,proxy,parameter,site,head,category,split,reference,estimate,ci_low,ci_high,p_value,q_value,significant,seeds,resamples", stats[0]);
        // 2 heads × 16 proxy points (pca 6, kmeans 3, onehot 1, weight-svd 6) × 2 reference splits × 4 other splits × 2 scorings (the task metric and every closer).
        Assert.Equal(2 * 16 * 2 * 4 * 2, stats.Count(l => l.StartsWith("agreement_gap,")));
    }

    [Fact]
    public void Report_on_a_malformed_results_file_exits_2_naming_the_file()
    {
        var res = Path.Combine(Dir, "res");
        Directory.CreateDirectory(res);
        File.WriteAllText(Path.Combine(res, "manifest.json"), "{\"task\": \"dyck\"");
        var (code, _, stderr) = CliRunner.Run("report", res, "--out", Path.Combine(Dir, "rep"));
        Assert.Equal(2, code);
        Assert.Contains("manifest.json", stderr);
        Assert.False(Directory.Exists(Path.Combine(Dir, "rep")));
    }
}
