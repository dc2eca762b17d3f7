using Mirage.IO;

namespace Mirage.Tasks.Code;

/// <summary>
/// The default corpora, used when the config gives none: the pinned Debian packages of <see cref="PinnedCorpus"/>
/// (fetched into a cache by <see cref="Fetch"/>), else what this machine has installed (<see cref="Python"/>,
/// <see cref="Java"/>). Tests substitute all three.
/// </summary>
/// <remarks>
/// When the pinned packages cannot be fetched (no network, apt lists not updated, not Debian) the installed corpus is
/// read rather than the step refused: the study still runs offline and on other systems, and its question does not
/// hinge on the exact files. It is not silent: the data step warns, its summary says "installed", and the manifest
/// records the origin, the reason and the files' fingerprint, so results built on it are never mistaken for results
/// on the pinned corpus. Whoever needs the pinned files fixes what the warning names and deletes the data directory.
/// </remarks>
public sealed record CodeDefaults(
    Func<PinnedCorpus, (string? Root, IReadOnlyList<DebianPackage> Packages, string Why)> Fetch,
    Func<(string? Path, string Why)> Python,
    Func<(string? Path, string Why)> Java)
{
    public static CodeDefaults Machine { get; } = OnMachine(null);

    /// <summary>This machine's pinned-package cache and installed corpora; <paramref name="log"/> hears of downloads.</summary>
    public static CodeDefaults OnMachine(TextWriter? log) =>
        new(p => PinnedCorpusCache.Fetch(p, PinnedCorpusCache.CacheRoot(), log), FindPythonStdlib, () => FindJavaSources());

    /// <summary>
    /// Fills in empty corpus lists, the pinned corpus first. No Python corpus at all is an error; no Java sources at all
    /// skip the java split (with both reasons).
    /// </summary>
    public CodeCorpora Resolve(CodeConfig c)
    {
        var corpus = c.Corpus.Select(Path.GetFullPath).ToList();
        var id = new CorpusIdentity { Origin = CorpusOrigin.Given };
        if (corpus.Count == 0)
        {
            var (root, found, why) = Default(PinnedCorpus.Python, Python, "Python standard library");
            corpus.Add(root ?? throw new UserError($"no --corpus given and {why}; pass --corpus DIR"));
            id = found!;
        }
        var ood = c.OodCorpus.Select(Path.GetFullPath).ToList();
        CorpusIdentity? oodId = ood.Count > 0 ? new CorpusIdentity { Origin = CorpusOrigin.Given } : null;
        string? skipped = null;
        if (ood.Count == 0)
        {
            var (root, found, why) = Default(PinnedCorpus.Java, Java, "Java sources");
            if (root is null) skipped = $"no --ood-corpus given and {why}";
            else { ood.Add(root); oodId = found; }
        }
        return new CodeCorpora(c with { Corpus = corpus, OodCorpus = ood }, id, oodId, skipped);
    }

    (string? Root, CorpusIdentity? Identity, string Why) Default(PinnedCorpus pinned, Func<(string? Path, string Why)> installed, string what)
    {
        var (root, packages, why) = Fetch(pinned);
        if (root is not null) return (root, new CorpusIdentity { Origin = CorpusOrigin.Pinned, Packages = packages }, "");
        var (path, whyNot) = installed();
        if (path is null) return (null, null, $"neither the pinned {pinned.Label} ({pinned.Spec}) could be fetched ({why}) nor installed {what} found ({whyNot})");
        return (path, new CorpusIdentity
        {
            Origin = CorpusOrigin.Installed,
            Note = $"not the pinned {pinned.Label} ({pinned.Spec}): {why}; read this machine's {path} instead, " +
                   "so the splits are not those of the pinned corpus",
        }, "");
    }

    /// <summary>Debian's /usr/bin/python3 is preferred (the pinned corpus's own distribution); else python3 on PATH.</summary>
    public static (string?, string) FindPythonStdlib()
    {
        var reasons = new List<string>();
        foreach (var exe in File.Exists("/usr/bin/python3") ? new[] { "/usr/bin/python3", "python3" } : ["python3"])
        {
            var r = ChildProcess.Run(exe, ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], timeout: TimeSpan.FromSeconds(30));
            var dir = r.Output.Trim();
            if (r.Ok && Directory.Exists(dir)) return (dir, "");
            var failure = r.ExitCode == -1 ? r.Error : $"{exe} exited with {r.ExitCode}: {r.Error}";
            reasons.Add($"{exe}: {(r.Ok ? $"stdlib '{dir}' does not exist" : failure.Trim().Split('\n')[^1])}");
        }
        return (null, string.Join("; ", reasons));
    }

    /// <summary>
    /// The first readable src.zip of an installed JDK under <paramref name="jvmRoot"/>, a 17 JDK first (the pinned
    /// corpus's version), then by name in ordinal order.
    /// </summary>
    public static (string?, string) FindJavaSources(string jvmRoot = "/usr/lib/jvm")
    {
        if (!Directory.Exists(jvmRoot)) return (null, $"no {jvmRoot}");
        var found = Directory.GetDirectories(jvmRoot).Select(d => (Name: Path.GetFileName(d), Zip: Path.Combine(d, "lib", "src.zip")))
            // Debian's lib/src.zip is a link into openjdk-17/, left dangling when openjdk-17-source is not installed.
            .Where(c => Readable(c.Zip))
            .OrderBy(c => c.Name.Contains("17", StringComparison.Ordinal) ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Zip).FirstOrDefault();
        return found is not null ? (found, "") : (null, $"no readable {jvmRoot}/*/lib/src.zip");
    }

    static bool Readable(string path)
    {
        try { using var _ = File.OpenRead(path); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
