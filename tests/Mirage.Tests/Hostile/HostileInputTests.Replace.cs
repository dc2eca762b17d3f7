using System.Security.Cryptography;

namespace Mirage.Tests.Hostile;

/// <summary>The other side of the guard: what Mirage does replace — its own earlier outputs — and what a killed run left.</summary>
public partial class HostileInputTests
{
    static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void An_earlier_results_directory_is_replaced_whole_and_a_killed_runs_staging_directory_is_removed()
    {
        var w = fixture.NewCase("replace results");
        var stale = Path.Combine(w, $".res.tmp-99999-{Guid.NewGuid():N}");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "faithfulness.csv"), "half-written");
        string[] kept = ["user/notes.txt", "d/train.jsonl", "r/checkpoint/model.safetensors", "rep/report.md"];
        var before = kept.ToDictionary(k => k, k => Sha(Path.Combine(w, k)));

        // A trailing slash names the same directory: staged beside it, not inside it.
        var (code, stdout, stderr) = CliRunner.Run([.. S.Select(a => a.Replace("{w}", w)), "--out", Path.Combine(w, "res") + "/"]);
        Assert.True(code == 0, stderr + stdout);
        Assert.Equal("mirage simplify", IO.OutputManifest.CreatedBy(Path.Combine(w, "res")));
        Assert.Contains("\"proxies\": [\n    \"pca\"\n  ]", File.ReadAllText(Path.Combine(w, "res", "manifest.json")));   // the new results, not the fixture's
        Assert.False(Directory.Exists(stale));
        Assert.Empty(Directory.GetFileSystemEntries(w, "*.tmp-*").Concat(Directory.GetFileSystemEntries(w, "*.old-*")));
        foreach (var (k, sha) in before) Assert.Equal(sha, Sha(Path.Combine(w, k)));
    }

    [Fact]
    public void A_report_written_before_reports_had_a_manifest_is_recognised_and_replaced()
    {
        var w = fixture.NewCase("replace old report");
        File.Delete(Path.Combine(w, "rep", "manifest.json"));
        var (code, stdout, stderr) = CliRunner.Run([.. R.Select(a => a.Replace("{w}", w)), "--out", Path.Combine(w, "rep")]);
        Assert.True(code == 0, stderr + stdout);
        Assert.Equal("mirage report", IO.OutputManifest.CreatedBy(Path.Combine(w, "rep")));
        Assert.Equal("res", IO.OutputManifest.Field(Path.Combine(w, "rep"), "results"));
    }

    [Fact]
    public async Task A_config_read_from_a_pipe_is_read_once()
    {
        var w = fixture.NewCase("config from a pipe");
        var fifo = Path.Combine(w, "dc.fifo");
        MakeFifo(fifo);
        // A writer on the other end, as `--config <(echo ...)` gives: the content can be read only once.
        var writer = Task.Run(() => File.WriteAllText(fifo, HostileFixture.DataConfig));
        var (code, stdout, stderr) = CliProcess.Run(w, ["data", "dyck", "--k", "4", "--max-depth", "4", "--train", "400", "--per-split", "30", "--config", fifo, "--out", Path.Combine(w, "d")], 60);
        await writer.WaitAsync(TimeSpan.FromSeconds(60));   // throws if the writer never got its content through
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("already holds this dataset", stdout);
    }
}
