using System.Globalization;
using Mirage.IO;

namespace Mirage.Tests;

/// <summary>The CLI end to end on a tiny Dyck set and a tiny model: data → train → eval → simplify.</summary>
public class PipelineTests : IClassFixture<PipelineTests.TinyRun>
{
    /// <summary>Builds the data and trains once for the whole class.</summary>
    public sealed class TinyRun : IDisposable
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("mirage-pipe-").FullName;
        public string Data => Path.Combine(Dir, "d");
        public string Run => Path.Combine(Dir, "r");

        public TinyRun()
        {
            Check(CliRunner.Run("data", "dyck", "--out", Data, "--k", "4", "--max-depth", "4", "--train", "400", "--per-split", "30", "--seed", "1"));
            Check(CliRunner.Run("train", "--data", Data, "--out", Run, "--steps", "30", "--layers", "2", "--heads", "2", "--d-model", "16", "--d-mlp", "32",
                "--batch-size", "32", "--eval-every", "15", "--checkpoint-every", "15", "--quiet"));
        }

        static void Check((int Code, string Stdout, string Stderr) r) { if (r.Code != 0) throw new Exception(r.Stderr + r.Stdout); }

        public void Dispose() => Directory.Delete(Dir, true);
    }

    readonly TinyRun _t;
    public PipelineTests(TinyRun t) => _t = t;

    [Fact]
    public void Eval_writes_accuracy_per_split_and_depth()
    {
        var (code, stdout, stderr) = CliRunner.Run("eval", "--run", _t.Run, "--data", _t.Data);
        Assert.True(code == 0, stderr);
        Assert.Contains("unseen_depth", stdout);
        var csv = File.ReadAllLines(Path.Combine(_t.Run, "eval.csv"));
        Assert.Equal("split,breakdown,key,scored,correct,accuracy", csv[0]);
        Assert.Contains(csv, l => l.StartsWith("unseen_depth,depth,5,"));   // deeper than the training bound of 4
        var json = Json.Load<Cli.Commands.EvalCommand.EvalReport>(Path.Combine(_t.Run, "eval.json"));
        Assert.Equal(5, json.Splits.Count);
        Assert.All(json.Splits, s => Assert.Equal(s.Scored, s.ByDepth.Sum(b => b.Scored)));
    }

    [Fact]
    public void Identity_proxy_is_perfectly_faithful_everywhere()
    {
        var res = Path.Combine(_t.Dir, "id");
        var (code, _, stderr) = CliRunner.Run("simplify", "--run", _t.Run, "--data", _t.Data, "--proxy", "identity", "--out", res, "--resamples", "50", "--quiet");
        Assert.True(code == 0, stderr);
        var rows = ReadCsv(Path.Combine(res, "faithfulness.csv"));
        Assert.Equal("seed,run,proxy,parameter,site,head,split,metric,value,ci_low,ci_high,n", string.Join(',', rows[0].Keys));
        Assert.Equal(2 * 2 * (5 * 6 + 4 * 6), rows.Count);   // 2 layers x 2 heads x (5 splits x 6 metrics + 4 gap splits x 6)
        foreach (var r in rows.Where(r => r["metric"] == "agreement")) Assert.Equal(1.0, double.Parse(r["value"], CultureInfo.InvariantCulture));
        foreach (var r in rows.Where(r => r["metric"] is "attention_jsd" or "attention_jsd_scored" or "logit_kl")) Assert.Equal(0.0, double.Parse(r["value"], CultureInfo.InvariantCulture));
        foreach (var r in rows.Where(r => r["metric"] == "proxy_accuracy"))
            Assert.Equal(r["value"], rows.Single(m => m["metric"] == "model_accuracy" && m["split"] == r["split"] && m["site"] == r["site"] && m["head"] == r["head"])["value"]);
    }

    [Fact]
    public void Simplify_sweeps_several_proxies_and_writes_every_results_file()
    {
        var res = Path.Combine(_t.Dir, "sweep");
        var (code, stdout, stderr) = CliRunner.Run("simplify", "--run", _t.Run, "--data", _t.Data, "--proxy", "pca", "--proxy", "kmeans", "--proxy", "onehot",
            "--proxy", "weight-svd", "--sweep", "pca=1,8", "--sweep", "kmeans=2,4", "--sweep", "weight-svd=2",
            "--site", "blocks.1.attn", "--fit-n", "100", "--out", res, "--resamples", "50");
        Assert.True(code == 0, stderr);
        Assert.Contains("kmeans at blocks.1.attn head 1", stdout);
        // Its tables fit 80 columns (a pipe gets Spectre's 80) with every split's name whole, broken after an
        // underscore: cut to "unseen_struc…", the short and the long unseen-structure splits looked the same.
        var lines = stdout.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && "┌│├└".Contains(l[0])).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        Assert.DoesNotContain(lines, l => l.StartsWith('│') && l.Contains('…'));
        Assert.Contains(lines, l => l.Contains("│ unseen_ "));
        Assert.Contains(lines, l => l.Contains("│ structure_ "));
        foreach (var f in new[] { "manifest.json", "faithfulness.csv", "faithfulness_summary.csv", "breakdown.csv", "model_accuracy.csv", "faithfulness.json", "examples.json", "pca_points.json" })
            Assert.True(File.Exists(Path.Combine(res, f)), f);
        var rows = ReadCsv(Path.Combine(res, "faithfulness.csv"));
        var proxies = rows.Select(r => (r["proxy"], r["parameter"])).Distinct().OrderBy(x => x).ToList();
        Assert.Equal([("kmeans", "2"), ("kmeans", "4"), ("onehot", ""), ("pca", "1"), ("pca", "8"), ("weight-svd", "2")], proxies);
        // pca at full rank (d_head = 8) agrees with the model everywhere.
        Assert.All(rows.Where(r => r["proxy"] == "pca" && r["parameter"] == "8" && r["metric"] == "agreement"), r => Assert.Equal(1.0, double.Parse(r["value"], CultureInfo.InvariantCulture)));
        Assert.All(rows.Where(r => r["ci_low"] != ""), r => Assert.True(double.Parse(r["ci_low"], CultureInfo.InvariantCulture) <= double.Parse(r["ci_high"], CultureInfo.InvariantCulture) + 1e-12));
        var examples = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(res, "examples.json"))).RootElement;
        Assert.Equal(2 * 2, examples.GetArrayLength());   // iid and unseen_depth x 2 heads
        var ex = examples[0];
        int n = ex.GetProperty("tokens").GetArrayLength();
        Assert.Equal(n, ex.GetProperty("model").GetArrayLength());
        Assert.Equal(6, ex.GetProperty("proxies").GetArrayLength());
    }

    [Fact]
    public void Oracle_fits_each_data_proxy_on_the_split_and_scores_both_fits_on_its_held_out_half()
    {
        var res = Path.Combine(_t.Dir, "oracle");
        var (code, _, stderr) = CliRunner.Run("simplify", "--run", _t.Run, "--data", _t.Data, "--proxy", "pca", "--proxy", "onehot", "--sweep", "pca=1,8",
            "--site", "blocks.0.attn", "--heads", "1", "--eval-n", "20", "--fit-n", "9", "--oracle", "--out", res, "--resamples", "20", "--quiet");
        Assert.True(code == 0, stderr);
        var rows = ReadCsv(Path.Combine(res, "oracle.csv")).Where(r => r["metric"] == "agreement").ToList();
        Assert.Equal(["pca"], rows.Select(r => r["proxy"]).Distinct());            // onehot fits nothing: no oracle
        Assert.Equal(["split", "train"], rows.Select(r => r["fit"]).Distinct().Order());
        // Scored on the held-out half (10 of the 20 evaluated sequences): fewer positions than the whole evaluation set.
        var whole = ReadCsv(Path.Combine(res, "faithfulness.csv")).Where(r => r["metric"] == "agreement" && r["proxy"] == "pca" && r["parameter"] == "1")
            .ToDictionary(r => r["split"], r => double.Parse(r["n"], CultureInfo.InvariantCulture));
        Assert.All(rows.Where(r => r["parameter"] == "1"), r => Assert.True(double.Parse(r["n"], CultureInfo.InvariantCulture) < whole[r["split"]]));
        // At full rank both fits reproduce the model.
        Assert.All(rows.Where(r => r["parameter"] == "8"), r => Assert.Equal(1.0, double.Parse(r["value"], CultureInfo.InvariantCulture)));
        Assert.True(Json.Load<Faithfulness.SimplifyManifest>(Path.Combine(res, "manifest.json")).Oracle);
    }

    [Fact]
    public void Min_distance_is_an_evaluation_setting_and_every_closer_is_measured_beside_it()
    {
        int Scored(string run, params string[] extra)
        {
            var (code, _, stderr) = CliRunner.Run(["eval", "--run", run, "--data", _t.Data, .. extra]);
            Assert.True(code == 0, stderr);
            return Json.Load<Cli.Commands.EvalCommand.EvalReport>(Path.Combine(run, "eval.json")).Splits.Sum(s => s.Scored);
        }
        int byDefault = Scored(_t.Run), every = Scored(_t.Run, "--min-distance", "1");
        Assert.True(every > byDefault, $"{every} closers scored at distance 1, {byDefault} at the data's 10");
        Assert.Equal(1, Json.Load<Cli.Commands.EvalCommand.EvalReport>(Path.Combine(_t.Run, "eval.json")).MinDistance);
        Assert.Equal(2, CliRunner.Run("eval", "--run", _t.Run, "--data", _t.Data, "--min-distance", "0").Code);

        var res = Path.Combine(_t.Dir, "scoring");
        var (c, _, err) = CliRunner.Run("simplify", "--run", _t.Run, "--data", _t.Data, "--proxy", "onehot", "--site", "blocks.1.attn", "--heads", "0", "--min-distance", "3", "--out", res, "--resamples", "20", "--quiet");
        Assert.True(c == 0, err);
        var main = ReadCsv(Path.Combine(res, "faithfulness.csv")).Where(r => r["metric"] == "agreement").ToDictionary(r => r["split"], r => double.Parse(r["n"], CultureInfo.InvariantCulture));
        var wide = ReadCsv(Path.Combine(res, "faithfulness_by_scoring.csv")).Where(r => r["metric"] == "agreement").ToList();
        Assert.All(wide, r => Assert.Equal("min_distance_1", r["scoring"]));
        Assert.All(wide, r => Assert.True(double.Parse(r["n"], CultureInfo.InvariantCulture) >= main[r["split"]], $"{r["split"]}: every closer must include the distance >= 3 ones"));
        Assert.Contains(wide, r => double.Parse(r["n"], CultureInfo.InvariantCulture) > main[r["split"]]);
        var manifest = Json.Load<Faithfulness.SimplifyManifest>(Path.Combine(res, "manifest.json"));
        Assert.Equal(3, manifest.MinDistance);
        Assert.Equal(["min_distance_1"], manifest.ScoringVariants);
    }

    [Theory]
    [InlineData("--proxy", "pcb", "valid proxies")]
    [InlineData("--sweep", "pca=64", "between 1 and d_head = 8")]
    [InlineData("--site", "blocks.7.attn", "valid sites: blocks.0.attn, blocks.1.attn")]
    [InlineData("--heads", "3", "heads 0..1")]
    public void Bad_simplify_settings_exit_2_with_one_line(string flag, string value, string expected)
    {
        var args = new List<string> { "simplify", "--run", _t.Run, "--data", _t.Data, "--out", Path.Combine(_t.Dir, "bad"), flag, value };
        if (flag == "--sweep") args.AddRange(["--proxy", "pca"]);
        var (code, _, stderr) = CliRunner.Run(args.ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(_t.Dir, "bad")));
    }

    [Fact]
    public void Data_with_another_vocabulary_is_refused()
    {
        var other = Path.Combine(_t.Dir, "other");
        Assert.Equal(0, CliRunner.Run("data", "dyck", "--out", other, "--k", "5", "--max-depth", "4", "--train", "300", "--per-split", "10").Code);
        var (code, _, stderr) = CliRunner.Run("eval", "--run", _t.Run, "--data", other);
        Assert.Equal(2, code);
        Assert.Contains("vocabulary", stderr);
        (code, _, stderr) = CliRunner.Run("simplify", "--run", _t.Run, "--data", other, "--proxy", "onehot", "--out", Path.Combine(_t.Dir, "o"));
        Assert.Equal(2, code);
        Assert.Contains("vocabulary", stderr);
    }

    [Fact]
    public void Corrupt_checkpoint_is_a_one_line_error()
    {
        var run = Path.Combine(_t.Dir, "corrupt");
        CopyDir(_t.Run, run);
        var weights = Path.Combine(run, "checkpoint", "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        var (code, _, stderr) = CliRunner.Run("eval", "--run", run, "--data", _t.Data);
        Assert.Equal(2, code);
        Assert.Contains("model.safetensors", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Train_refuses_a_checkpoint_with_other_settings_and_missing_data()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--data", _t.Data, "--out", _t.Run, "--steps", "30", "--layers", "3", "--heads", "2", "--d-model", "16", "--d-mlp", "32", "--batch-size", "32", "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("model.layers is 2 in the checkpoint", stderr);
        (code, _, stderr) = CliRunner.Run("train", "--data", Path.Combine(_t.Dir, "nope"), "--out", Path.Combine(_t.Dir, "r2"));
        Assert.Equal(2, code);
        Assert.Contains("data directory not found", stderr);
    }

    static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }

    static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(x => x.First, x => x.Second)).ToList();
    }
}
