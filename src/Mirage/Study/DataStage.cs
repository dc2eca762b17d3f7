using System.Diagnostics;
using Mirage.IO;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;

namespace Mirage.Study;

/// <summary>How a data step ended: built now (and how long it took), or the same dataset was already there.</summary>
public sealed record DataOutcome(string Directory, bool Reused, TimeSpan Took);

/// <summary>
/// The data step (<c>mirage data</c>): builds a task's data directory under its lock, or reuses the same dataset when
/// it is already there with every file intact (sha256 as in its manifest). A different or damaged dataset is refused,
/// never replaced: a data directory is only ever written whole, into a place that is empty or absent.
/// </summary>
public static class DataStage
{
    /// <param name="inputs">Files the settings came from (a config file), which the output may not overlap.</param>
    /// <param name="note">Receives a line to show the user (e.g. that the dataset was already there).</param>
    public static DataOutcome Dyck(string dir, DyckConfig c, IEnumerable<string?> inputs, Action<string>? note = null)
    {
        var output = OutputDirectory.Check(dir, "--out", TaskDataLoader.Kind, inputs);
        if (HoldsSameDataset(output, () => DyckData.ReadManifest(dir).Config, c, DyckData.Verify, note)) return new(dir, true, TimeSpan.Zero);
        using var held = output.Claim();
        // Again under the lock: another process may have finished the same dataset meanwhile.
        if (HoldsSameDataset(output, () => DyckData.ReadManifest(dir).Config, c, DyckData.Verify, note)) return new(dir, true, TimeSpan.Zero);
        var clock = Stopwatch.StartNew();
        DyckData.Write(dir, c, DyckSplits.Build(c));
        return new(dir, false, clock.Elapsed);
    }

    /// <summary>Builds a code data directory from resolved corpora (<see cref="CodeDefaults.Resolve"/>).</summary>
    public static DataOutcome Code(string dir, CodeCorpora corpora, IEnumerable<string?> inputs, Action<string>? note = null)
    {
        var clock = Stopwatch.StartNew();
        var resolved = corpora.Config;
        var output = OutputDirectory.Check(dir, "--out", TaskDataLoader.Kind, inputs.Concat(resolved.Corpus).Concat(resolved.OodCorpus));
        foreach (var root in resolved.Corpus) CodeCorpus.CheckRoot(root, "corpus");
        foreach (var root in resolved.OodCorpus) CodeCorpus.CheckRoot(root, "ood_corpus");
        bool Same() => HoldsSameDataset(output, () => CodeData.ReadManifest(dir).Config, resolved, CodeData.Verify, note, d => SameCorpora(d, corpora));
        if (Same()) return new(dir, true, TimeSpan.Zero);
        using var held = output.Claim();
        if (Same()) return new(dir, true, TimeSpan.Zero);
        CodeData.Write(dir, CodeSplits.Build(corpora));
        return new(dir, false, clock.Elapsed);
    }

    /// <summary>
    /// The same paths can hold other files than when the data was built (an upgraded python3, an edited --corpus): the
    /// corpora are read again and their identities compared. Manifests from before identities were recorded have
    /// nothing to compare and pass, as they did.
    /// </summary>
    static void SameCorpora(string dir, CodeCorpora corpora)
    {
        var m = CodeData.ReadManifest(dir);
        if (m.CorpusIdentity is null) return;
        var (corpus, ood) = CodeSplits.Identify(corpora);
        foreach (var (what, had, now) in new[] { ("corpus", m.CorpusIdentity, (CorpusIdentity?)corpus), ("ood_corpus", m.OodCorpusIdentity, ood) })
            if (had is not null && !had.SameCorpus(now))
                throw new UserError($"{dir}: already holds a dataset built from another {what} (it was {had.Describe()}; now {now?.Describe() ?? "none"}); choose another --out or delete it");
    }

    /// <summary>
    /// Rerunning on a directory that already holds the same dataset, every file intact, does nothing (true); a
    /// different dataset is refused, and so is a damaged one (delete it to rebuild it). False when the directory is
    /// absent or empty. Anything that is not a data directory was refused by <see cref="OutputDirectory.Check"/> already.
    /// </summary>
    /// <param name="sameSource">Throws when the settings are the same but what they were read from is not (code corpora).</param>
    static bool HoldsSameDataset<T>(OutputDirectory output, Func<T> existingConfig, T want, Action<string> verify, Action<string>? note, Action<string>? sameSource = null)
    {
        if (!output.HasContent) return false;
        var dir = output.Path;
        var diff = ConfigDiff.Fields(existingConfig(), want, "config").FirstOrDefault();
        if (diff.Field is not null)
            throw new UserError($"{dir}: already holds a different dataset ({diff.Field} is {diff.Had}, asked for {diff.Want}); choose another --out or delete it");
        sameSource?.Invoke(dir);
        try { verify(dir); }
        catch (UserError e) { throw new UserError($"{e.Message}; {dir} holds this dataset's manifest but not its data: delete {dir} and rerun to rebuild it"); }
        note?.Invoke($"{dir}: already holds this dataset (same config and seed, every file matches its sha256); nothing to do");
        return true;
    }
}
