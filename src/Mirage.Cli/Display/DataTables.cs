using Mirage.Cli.Terminal;
using Mirage.Tasks.Code;
using Mirage.Tasks.Dyck;
using Spectre.Console;

namespace Mirage.Cli.Display;

/// <summary>What a data directory holds, as the terminal shows it (<c>mirage data</c>, and the data step of <c>mirage reproduce</c>).</summary>
public static class DataTables
{
    public static void Dyck(CliContext ctx, DyckManifest m, TimeSpan? took)
    {
        var t = new Table().Title($"Dyck-({m.Config.K},{m.Config.MaxDepth}), seed {m.Seed}" + (took is { } d ? $", built in {d.TotalSeconds:F1} s" : ""))
            .AddColumns("split", "count", "length", "depth", "sha256");
        foreach (var s in m.Splits)
            t.AddRow(s.Name, s.Count.ToString("N0"), $"{s.MinLength}–{s.MaxLength}", $"{s.MinDepth}–{s.MaxDepth}", s.Sha256[..12] + "…");
        ctx.Console.Write(t);
    }

    public static void Code(CliContext ctx, CodeManifest m, TimeSpan? took)
    {
        var t = new Table().Title($"code, window {m.Config.Window}, max_train_depth {m.Config.MaxTrainDepth}, seed {m.Seed}, {m.Vocabulary.Count} tokens" +
                                  (took is { } d ? $", built in {d.TotalSeconds:F1} s" : ""))
            .AddColumns("split", "files", "windows", "depth", "UNKs", "sha256");
        foreach (var s in m.Splits)
            t.AddRow(s.Name, s.Files.ToString("N0"), s.Count.ToString("N0"), $"{s.MinDepth}–{s.MaxDepth}", s.Unk.ToString("N0"), s.Sha256[..12] + "…");
        ctx.Console.Write(t);
        void Counts(string what, IReadOnlyList<string> roots, CorpusCounts k) =>
            ctx.Say($"{what} {string.Join(", ", roots)}: {k.FilesRead:N0} files read of {k.FilesFound:N0} found; skipped " +
                                 $"{k.SkippedBinary} binary, {k.SkippedNonUtf8} not UTF-8, {k.SkippedUnreadable} unreadable" +
                                 (k.SkippedNotRegular > 0 ? $", {k.SkippedNotRegular} not a regular file (FIFO, device or socket)" : ""));
        // The identity is what two machines compare: equal fingerprints and settings give byte-identical splits.
        void Identity(string what, CorpusIdentity? id) =>
            ctx.Say($"{what} identity: " + (id is null ? "not recorded (data written before corpora were pinned)" : id.Describe())
                                 + (id?.Note is { } note ? $"; {note}" : ""));
        Counts("corpus", m.Config.Corpus, m.Corpus);
        Identity("corpus", m.CorpusIdentity);
        ctx.Say($"hash split: {m.TrainFiles:N0} train files, {m.HeldOutFiles:N0} held-out files (iid_fraction {m.Config.IidFraction})");
        if (m.Splits.FirstOrDefault(s => s.Name == "deep_nesting") is { FromTrainFiles: > 0 } deep)
            ctx.Say($"deep_nesting: {deep.FromTrainFiles:N0} of {deep.Count:N0} windows come from train files (held-out files have too few deep windows; train holds none of them)");
        if (m.OodCorpus is { } oc) { Counts("ood_corpus", m.Config.OodCorpus, oc); Identity("ood_corpus", m.OodCorpusIdentity); }
        foreach (var (split, why) in m.SkippedSplits) ctx.Say($"{split}: skipped ({why})");
    }
}
