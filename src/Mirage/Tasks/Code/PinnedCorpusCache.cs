using Mirage.IO;
using Mirage.Native;

namespace Mirage.Tasks.Code;

/// <summary>
/// Fetches the packages of a <see cref="PinnedCorpus"/> with <c>apt-get download</c> (no installation, no root: apt
/// only needs its package lists) and unpacks them with <c>dpkg-deb -x</c> into
/// <c>$XDG_CACHE_HOME/mirage/&lt;package&gt;_&lt;version&gt;[,...]/</c> (else <c>~/.cache/mirage</c>): <c>files/</c> holds
/// the unpacked tree, <c>packages.json</c> what each .deb said it was and its sha256. A complete entry is reused, so
/// only the first run downloads (1.8 + 0.8 MB for Python, 47 MB for the JDK sources).
/// </summary>
public static class PinnedCorpusCache
{
    public const string PackagesFile = "packages.json";

    /// <summary>$XDG_CACHE_HOME/mirage, else $HOME/.cache/mirage; null when neither is set (nowhere to cache).</summary>
    public static string? CacheRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        // The XDG spec says a relative $XDG_CACHE_HOME is invalid and is to be ignored.
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "mirage");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "mirage");
    }

    /// <summary>
    /// The corpus root inside the cache and the packages it came from, fetching them first when the cache does not hold
    /// them; or null and why not (apt-get's own last error line, so the user sees "no network" or "unknown version").
    /// Never throws for a missing apt-get, a failed download or an unwritable cache: the caller decides what then.
    /// </summary>
    /// <param name="log">Told before a download starts (the first run waits for it), when given.</param>
    public static (string? Root, IReadOnlyList<DebianPackage> Packages, string Why) Fetch(PinnedCorpus pinned, string? cacheRoot, TextWriter? log = null) =>
        Fetch(pinned, cacheRoot, log, (exe, args, cwd) => ChildProcess.Run(exe, args, cwd, timeout: TimeSpan.FromMinutes(10)));

    /// <summary>As above, with apt-get and dpkg-deb run through <paramref name="run"/> (exe, arguments, working directory): tests fake them.</summary>
    internal static (string? Root, IReadOnlyList<DebianPackage> Packages, string Why) Fetch(PinnedCorpus pinned, string? cacheRoot, TextWriter? log,
        Func<string, string[], string, ChildResult> run)
    {
        if (cacheRoot is null) return (null, [], "no cache directory ($XDG_CACHE_HOME and $HOME are unset)");
        var entry = Path.Combine(cacheRoot, pinned.CacheKey);
        if (Cached(entry, pinned) is { } hit) return (Path.Combine(entry, "files", pinned.Root), hit, "");
        log?.WriteLine($"fetching the pinned {pinned.Label} ({pinned.Spec}) with apt-get download into {entry}");
        string staging = Path.Combine(cacheRoot, $".fetch-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            var (packages, why) = DownloadAndUnpack(pinned, staging, run);
            if (packages is null) return (null, [], why);
            Publish(staging, entry, pinned);
            return Cached(entry, pinned) is { } done ? (Path.Combine(entry, "files", pinned.Root), done, "") : (null, [], $"{entry}: unpacked but not readable back");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { return (null, [], $"cannot write the cache {cacheRoot} ({FileSystemMessage.Reason(e)})"); }
        finally
        {
            try { if (Directory.Exists(staging)) Directory.Delete(staging, true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // a leftover .fetch-* is harmless
        }
    }

    /// <summary>The packages of a complete cache entry for exactly these pins (its root present), else null.</summary>
    static IReadOnlyList<DebianPackage>? Cached(string entry, PinnedCorpus pinned)
    {
        var file = Path.Combine(entry, PackagesFile);
        if (!File.Exists(file)) return null;
        List<DebianPackage>? packages;
        try { packages = Json.Load<List<DebianPackage>>(file, "pinned corpus cache entry"); }
        catch (Exception e) when (e is UserError or FileSystemError) { return null; }   // damaged: fetched again and replaced
        var root = Path.Combine(entry, "files", pinned.Root);
        bool same = packages is not null && packages.All(p => p is not null) && packages.Select(p => (p.Name, p.Version)).SequenceEqual(pinned.Packages);
        return same && (File.Exists(root) || Directory.Exists(root)) ? packages : null;
    }

    static (List<DebianPackage>? Packages, string Why) DownloadAndUnpack(PinnedCorpus pinned, string staging, Func<string, string[], string, ChildResult> run)
    {
        // One apt-get call for all of a corpus's packages; exact versions, so apt never substitutes a newer build.
        var r = run("apt-get", ["download", .. pinned.Packages.Select(p => $"{p.Name}={p.Version}")], staging);
        if (!r.Ok)
            return (null, $"`apt-get download {pinned.Spec}` failed: {LastError(r)}" +
                          " (it needs Debian 12 (bookworm) in the apt sources, package lists from `apt-get update`, and the network)");
        var files = Path.Combine(staging, "files");
        var packages = new List<DebianPackage>();
        foreach (var (name, version) in pinned.Packages)
        {
            // apt-get names the file <name>_<version with ':' as %3a>_<arch>.deb; the .deb's own fields are the record.
            var deb = Directory.GetFiles(staging, $"{name}_*.deb").Order(StringComparer.Ordinal).FirstOrDefault();
            if (deb is null) return (null, $"`apt-get download {name}={version}` left no {name}_*.deb");
            var f = run("dpkg-deb", ["-f", deb, "Package", "Version", "Architecture"], staging);
            if (!f.Ok) return (null, $"`dpkg-deb -f {Path.GetFileName(deb)}` failed: {LastError(f)}");
            var fields = f.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => l.Split(':', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim(), StringComparer.Ordinal);
            string Field(string k) => fields.TryGetValue(k, out var v) ? v : "";
            if (Field("Package") != name || Field("Version") != version)
                return (null, $"{Path.GetFileName(deb)} is {Field("Package")} {Field("Version")}, not the pinned {name} {version}");
            var x = run("dpkg-deb", ["-x", deb, files], staging);
            if (!x.Ok) return (null, $"`dpkg-deb -x {Path.GetFileName(deb)}` failed: {LastError(x)}");
            packages.Add(new DebianPackage(name, version, Field("Architecture"), Sha256.OfFile(deb)));
            File.Delete(deb);   // the unpacked tree and the archive's sha256 are all that is kept
        }
        var root = Path.Combine(files, pinned.Root);
        if (!File.Exists(root) && !Directory.Exists(root)) return (null, $"the packages {pinned.Spec} hold no {pinned.Root}");
        DropOutwardLinks(files);
        Json.Save(Path.Combine(staging, PackagesFile), packages);
        return (packages, "");
    }

    /// <summary>
    /// Deletes symbolic links that leave the unpacked tree or lead nowhere. libpython3.11-stdlib's sitecustomize.py is
    /// a link to /etc/python3.11/sitecustomize.py, a file of another package: read through the link it would be the
    /// host's file, different or absent from machine to machine. Links inside the tree (_sysconfigdata) stay.
    /// </summary>
    static void DropOutwardLinks(string tree)
    {
        var top = Libc.Real(tree) ?? tree;
        var pending = new Stack<string>(new[] { tree });
        while (pending.Count > 0)
        {
            foreach (var path in Directory.GetFileSystemEntries(pending.Pop()).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(path);
                if (info.LinkTarget is not null)
                {
                    var real = Libc.Real(path);
                    if (real is null || !real.StartsWith(top + "/", StringComparison.Ordinal)) File.Delete(path);
                }
                else if (info.Attributes.HasFlag(FileAttributes.Directory)) pending.Push(path);
            }
        }
    }

    /// <summary>
    /// Renames the staging directory into place. Another process may have published the same entry meanwhile: then
    /// its entry is kept (same pins, same files). A damaged entry (no readable packages.json) is replaced.
    /// </summary>
    static void Publish(string staging, string entry, PinnedCorpus pinned)
    {
        if (Directory.Exists(entry) && Cached(entry, pinned) is null) Directory.Delete(entry, true);
        try { Directory.Move(staging, entry); }
        catch (IOException) when (Cached(entry, pinned) is not null) { }
    }

    static string LastError(ChildResult r)
    {
        // apt-get prints "W: Download is performed unsandboxed as root ..." even when it succeeds; the E: line is the cause.
        var lines = (r.Error + "\n" + r.Output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.LastOrDefault(l => l.StartsWith("E:", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? $"exit code {r.ExitCode}";
    }
}
