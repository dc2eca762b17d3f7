using Mirage.IO;
using System.Diagnostics;

namespace Mirage.Tasks.Code;

/// <summary>
/// Where the default corpora live, found from the running system rather than a path of one machine: the Python
/// stdlib from the interpreter itself, the Java sources from the JDKs under /usr/lib/jvm (or Debian's
/// openjdk-17-source package, downloaded and unpacked without installing). Each finder returns a path, or null and
/// the reason. Tests substitute their own finders.
/// </summary>
public sealed record CodeDefaults(Func<(string? Path, string Why)> Python, Func<(string? Path, string Why)> Java)
{
    public static CodeDefaults Machine { get; } = new(FindPythonStdlib, () => FindJavaSources());

    /// <summary>Fills in empty corpus lists. A missing stdlib is an error; missing Java sources skip the java split.</summary>
    public CodeConfig Resolve(CodeConfig c, out string? oodSkipped)
    {
        oodSkipped = null;
        var corpus = c.Corpus.Select(Path.GetFullPath).ToList();
        if (corpus.Count == 0)
        {
            var (p, why) = Python();
            corpus.Add(p ?? throw new UserError($"no --corpus given and no Python standard library found ({why}); pass --corpus DIR"));
        }
        var ood = c.OodCorpus.Select(Path.GetFullPath).ToList();
        if (ood.Count == 0)
        {
            var (p, why) = Java();
            if (p is null) oodSkipped = $"no --ood-corpus given and no Java sources found ({why})";
            else ood.Add(p);
        }
        return c with { Corpus = corpus, OodCorpus = ood };
    }

    /// <summary>Debian's /usr/bin/python3 is preferred (its stdlib is the default corpus of docs/method.md §1.3); else python3 on PATH.</summary>
    public static (string?, string) FindPythonStdlib()
    {
        var reasons = new List<string>();
        foreach (var exe in File.Exists("/usr/bin/python3") ? new[] { "/usr/bin/python3", "python3" } : ["python3"])
        {
            var (ok, output) = Run(exe, ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], null, TimeSpan.FromSeconds(30));
            var dir = output.Trim();
            if (ok && Directory.Exists(dir)) return (dir, "");
            reasons.Add($"{exe}: {(ok ? $"stdlib '{dir}' does not exist" : output.Trim().Split('\n')[^1])}");
        }
        return (null, string.Join("; ", reasons));
    }

    /// <summary>
    /// The first readable src.zip of a JDK under <paramref name="jvmRoot"/> or the download cache, a 17 JDK first
    /// (Debian's openjdk-17-source), the system before the cache. If none, downloads openjdk-17-source into the cache.
    /// </summary>
    public static (string?, string) FindJavaSources(string jvmRoot = "/usr/lib/jvm", bool allowDownload = true)
    {
        var cache = Path.Combine(CacheRoot(), "openjdk-17-source");
        var found = Candidates(jvmRoot, 0).Concat(Candidates(Path.Combine(cache, "usr", "lib", "jvm"), 1))
            .OrderBy(c => c.Name.Contains("17", StringComparison.Ordinal) ? 0 : 1).ThenBy(c => c.Rank).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (found.Zip is not null) return (found.Zip, "");
        if (!allowDownload) return (null, $"no readable {jvmRoot}/*/lib/src.zip");
        var why = Download(cache);
        var fetched = Candidates(Path.Combine(cache, "usr", "lib", "jvm"), 1).FirstOrDefault();
        return fetched.Zip is not null ? (fetched.Zip, "") : (null, $"no readable {jvmRoot}/*/lib/src.zip, and {why}");
    }

    static IEnumerable<(string Name, int Rank, string? Zip)> Candidates(string root, int rank)
    {
        if (!Directory.Exists(root)) yield break;
        foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var zip = Path.Combine(dir, "lib", "src.zip");
            // Debian's lib/src.zip is a link into openjdk-17/, left dangling when openjdk-17-source is not installed.
            if (Readable(zip)) yield return (Path.GetFileName(dir), rank, zip);
        }
    }

    static bool Readable(string path)
    {
        try { using var _ = File.OpenRead(path); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static string CacheRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "mirage");
    }

    /// <summary>apt-get download + dpkg-deb -x into a staging directory renamed at the end; returns why it failed.</summary>
    static string Download(string target)
    {
        var parent = Path.GetDirectoryName(target)!;
        var work = Path.Combine(parent, $".download-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(work);
            var (ok, output) = Run("apt-get", ["download", "openjdk-17-source"], work, TimeSpan.FromMinutes(5));
            if (!ok) return $"`apt-get download openjdk-17-source` failed ({output.Trim().Split('\n')[^1]})";
            var deb = Directory.GetFiles(work, "*.deb").FirstOrDefault();
            if (deb is null) return "`apt-get download openjdk-17-source` left no .deb";
            var extracted = Path.Combine(work, "x");
            (ok, output) = Run("dpkg-deb", ["-x", deb, extracted], work, TimeSpan.FromMinutes(5));
            if (!ok) return $"`dpkg-deb -x` failed ({output.Trim().Split('\n')[^1]})";
            if (Directory.Exists(target)) Directory.Delete(target, true);
            Directory.Move(extracted, target);
            return "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"downloading openjdk-17-source failed ({e.Message})"; }
        finally { try { if (Directory.Exists(work)) Directory.Delete(work, true); } catch (IOException) { } }
    }

    /// <summary>Runs a program; (false, message) when it cannot start, times out or exits non-zero.</summary>
    static (bool Ok, string Output) Run(string exe, string[] args, string? cwd, TimeSpan timeout)
    {
        var r = ChildProcess.Run(exe, args, cwd, timeout: timeout);
        return r.Ok ? (true, r.Output) : (false, r.ExitCode == -1 ? r.Error : $"{exe} exited with {r.ExitCode}: {r.Error}");
    }
}
