using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mirage.Tests;

/// <summary>
/// `mirage reproduce code --scale quick` end to end on a small corpus written by the test (Python-like files for
/// train / iid / deep_nesting, Java-like files for the language shift), then checks of the per-category outputs.
/// </summary>
public class ReproduceCodeTests : TempDirectoryTests
{
    static string PyFile(int i)
    {
        var sb = new StringBuilder($"\"\"\"Module {i}.\"\"\"\nimport os\n\n");
        for (int k = 0; k < 12; k++)
        {
            sb.Append($"def handle_{k}(request, options):\n    result = request.get('key_{k}', {k})\n");
            sb.Append("    if result is None:\n        return options\n    return result + options\n\n");
            // Deep nesting in some blocks, so that deep_nesting (depth > 2) can be filled.
            if ((i + k) % 4 == 0) sb.Append($"TABLE_{k} = {{'a': [(1, (2, [3, {{'b': {k}}}]))]}}\n\n");
        }
        return sb.ToString();
    }

    static string JavaFile(int i)
    {
        var sb = new StringBuilder($"package demo;\n\npublic class Handler{i} {{\n");
        for (int k = 0; k < 15; k++) sb.Append($"    public int handle{k}(int request) {{ return request * {k}; }}\n");
        return sb.Append("}\n").ToString();
    }

    [Fact]
    public void Quick_code_reproduction_runs_end_to_end_with_categories_and_a_baseline()
    {
        string py = Path.Combine(Dir, "py"), java = Path.Combine(Dir, "java");
        Directory.CreateDirectory(py); Directory.CreateDirectory(java);
        for (int i = 0; i < 40; i++) File.WriteAllText(Path.Combine(py, $"mod{i}.py"), PyFile(i));
        for (int i = 0; i < 8; i++) File.WriteAllText(Path.Combine(java, $"Handler{i}.java"), JavaFile(i));

        var study = Path.Combine(Dir, "study");
        var (code, stdout, stderr) = CliRunner.Run("reproduce", "code", "--scale", "quick", "--corpus", py, "--ood-corpus", java, "--out", study, "--quiet");
        Assert.True(code == 0, stderr + stdout);
        foreach (var f in new[] { "data/java.jsonl", "data/deep_nesting.jsonl", "runs/seed0/checkpoint/model.safetensors", "results/faithfulness_by_category.csv",
                     "results/baseline.csv", "report/report.html", "report/category_gaps.png" })
            Assert.True(File.Exists(Path.Combine(study, f)), f);
        // 2 layers × 2 heads × 4 proxies = 16 proxy/head pairs: too many for one legible gap chart, so one per proxy.
        Assert.Equal(["gaps_kmeans.png", "gaps_onehot.png", "gaps_pca.png", "gaps_weightsvd.png"],
            Directory.GetFiles(Path.Combine(study, "report"), "gaps*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var res = Path.Combine(study, "results");
        var rows = Read(Path.Combine(res, "faithfulness.csv"));
        var byCat = Read(Path.Combine(res, "faithfulness_by_category.csv"));
        Assert.Equal(["closing_bracket", "other", "repeated_word"], byCat.Select(r => r["category"]).Distinct().Order());
        // The categories partition every split's scored positions: their counts add up to the split's.
        foreach (var r in rows.Where(r => r["metric"] == "agreement"))
        {
            var parts = byCat.Where(c => c["metric"] == "agreement" && c["proxy"] == r["proxy"] && c["parameter"] == r["parameter"]
                && c["site"] == r["site"] && c["head"] == r["head"] && c["split"] == r["split"]).ToList();
            Assert.Equal(double.Parse(r["n"], CultureInfo.InvariantCulture), parts.Sum(c => double.Parse(c["n"], CultureInfo.InvariantCulture)));
        }
        Assert.Contains(byCat, c => c["metric"] == "agreement_gap" && c["split"] == "java");

        // The report's category table shows the bigram baseline of baseline.csv and the model's accuracy per category.
        var baseline = Read(Path.Combine(res, "baseline.csv"));
        var md = File.ReadAllText(Path.Combine(study, "report", "report.md"));
        Assert.Contains("## Accuracy and faithfulness by category", md);
        // One row per split and category, the split named on its first category's row.
        var lines = md.Split('\n');
        int javaRow = Array.FindIndex(lines, l => l.StartsWith("| java | "));
        Assert.True(javaRow > 0, "no java rows in the category table");
        var line = lines.Skip(javaRow).Take(3).Single(l => l.Contains("| repeated_word |"));
        var bigramJava = double.Parse(baseline.Single(b => b["split"] == "java" && b["category"] == "repeated_word")["accuracy"], CultureInfo.InvariantCulture);
        Assert.Contains(bigramJava.ToString("F3", CultureInfo.InvariantCulture), line);
        Assert.Matches(new Regex(@"On java, the mean agreement gap over \d+ proxy/head/sweep points is largest for (closing_bracket|repeated_word|other)"), md);
        // Attention maps on an iid and a java window, characters on the axes.
        Assert.True(Directory.GetFiles(Path.Combine(study, "report"), "attn_*_java_model.png").Length > 0);
    }

    static List<Dictionary<string, string>> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(x => x.First, x => x.Second)).ToList();
    }
}
