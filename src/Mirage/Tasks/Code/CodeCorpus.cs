using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Mirage.IO;
using Mirage.Native;

namespace Mirage.Tasks.Code;

/// <summary>One source file as text: <see cref="Path"/> is relative to its corpus root (or the zip entry name).</summary>
public sealed record SourceFile(string Path, string Text);

/// <summary>What reading a corpus found. Skipped files are counted here, never a crash.</summary>
public sealed record CorpusCounts
{
    /// <summary>Files with a matching extension (before the <c>max_files</c> subset).</summary>
    public int FilesFound { get; init; }
    public int FilesRead { get; init; }
    /// <summary>Files holding a NUL byte.</summary>
    public int SkippedBinary { get; init; }
    public int SkippedNonUtf8 { get; init; }
    public int SkippedUnreadable { get; init; }
    /// <summary>
    /// FIFOs, devices and sockets: never opened (reading a FIFO blocks until a writer comes, a device may never end).
    /// Written to the manifest only when non-zero, so manifests of ordinary corpora keep their bytes.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public int SkippedNotRegular { get; init; }
}

/// <summary>
/// Reads the source files of a corpus: directories (recursively) and .zip archives, by extension, in ordinal order of
/// their relative paths so the result does not depend on the file system's listing order.
/// </summary>
public static class CodeCorpus
{
    /// <summary>Never descended into: installed third-party packages and byte-code caches are not the stdlib.</summary>
    static readonly HashSet<string> ExcludedDirs = new(StringComparer.Ordinal) { "site-packages", "dist-packages", "__pycache__" };

    /// <summary>Throws on invalid bytes, so a Latin-1 file is counted as non-UTF-8 instead of silently mangled.</summary>
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads the files of <paramref name="roots"/> with one of <paramref name="extensions"/>. When more than
    /// <paramref name="maxFiles"/> (0 = no limit) match, a subset chosen by a stable hash of (seed, path) is read, so
    /// a big archive costs only what the splits need. <paramref name="what"/> names the setting in errors.
    /// </summary>
    /// <returns>The files, what reading found, and the <see cref="Fingerprint"/> of the files read.</returns>
    public static (List<SourceFile> Files, CorpusCounts Counts, string FilesSha256) Read(IReadOnlyList<string> roots, IReadOnlyList<string> extensions,
        int maxFiles, int seed, string what)
    {
        var archives = new List<ZipArchive>();
        try
        {
            // Bytes is null for what is not a regular file (counted, never opened).
            var entries = new List<(string Path, Func<byte[]>? Bytes)>();
            foreach (var root in roots)
            {
                // With several roots, the root's name keeps equal relative paths (two os.py) apart.
                var prefix = roots.Count > 1 ? System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(root)) + "/" : "";
                CheckRoot(root, what);
                if (Directory.Exists(root)) entries.AddRange(FromDirectory(root, extensions, what).Select(e => (prefix + e.Path, e.Bytes)));
                else
                {
                    var zip = OpenZip(root, what);
                    archives.Add(zip);
                    entries.AddRange(zip.Entries
                        .Where(e => !e.FullName.EndsWith('/') && HasExtension(e.FullName, extensions) && !Excluded(e.FullName))
                        .Select<ZipArchiveEntry, (string, Func<byte[]>?)>(e => (prefix + e.FullName.Replace('\\', '/'), () => ReadEntry(e))));
                }
            }
            entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            if (entries.Count == 0)
                throw new UserError($"{string.Join(", ", roots)}: {what} holds no {string.Join("/", extensions)} files");
            int found = entries.Count;
            if (maxFiles > 0 && entries.Count > maxFiles)
                entries = entries.OrderBy(e => CodeSplits.PathHash($"{seed}\u001f{e.Path}")).ThenBy(e => e.Path, StringComparer.Ordinal)
                    .Take(maxFiles).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();

            var files = new List<SourceFile>(entries.Count);
            var hashes = new List<(string Path, string Sha256)>(entries.Count);
            int binary = 0, nonUtf8 = 0, unreadable = 0, notRegular = 0;
            foreach (var (path, bytes) in entries)
            {
                if (bytes is null) { notRegular++; continue; }
                byte[] b;
                try { b = bytes(); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException) { unreadable++; continue; }
                if (Array.IndexOf(b, (byte)0) >= 0) { binary++; continue; }
                string text;
                try { text = StrictUtf8.GetString(b); }
                catch (DecoderFallbackException) { nonUtf8++; continue; }
                files.Add(new SourceFile(path, Normalise(text)));
                hashes.Add((path, Convert.ToHexStringLower(SHA256.HashData(b))));
            }
            if (files.Count == 0)
                throw new UserError($"{string.Join(", ", roots)}: {what} has {found} {string.Join("/", extensions)} files but none is readable UTF-8 text " +
                                    $"({binary} binary, {nonUtf8} not UTF-8, {unreadable} unreadable, {notRegular} not a regular file)");
            return (files, new CorpusCounts { FilesFound = found, FilesRead = files.Count, SkippedBinary = binary, SkippedNonUtf8 = nonUtf8, SkippedUnreadable = unreadable, SkippedNotRegular = notRegular },
                Fingerprint(hashes));
        }
        finally { foreach (var z in archives) z.Dispose(); }
    }

    /// <summary>
    /// The identity of a set of files that two machines can compare: the sha256 of the UTF-8 lines
    /// <c>"&lt;sha256 of the file's bytes&gt;  &lt;relative path&gt;\n"</c> (the format of sha256sum) in ordinal order of path.
    /// The bytes are the file's own, before <see cref="Normalise"/>; the paths are relative to the corpus root (zip
    /// entry names in an archive), so the same files give the same fingerprint wherever they are unpacked.
    /// </summary>
    public static string Fingerprint(IEnumerable<(string Path, string Sha256)> files)
    {
        var sb = new StringBuilder();
        foreach (var (path, sha) in files.OrderBy(f => f.Path, StringComparer.Ordinal)) sb.Append(sha).Append("  ").Append(path).Append('\n');
        return Sha256.OfText(sb.ToString());
    }

    /// <summary>
    /// Checks that a corpus root is a directory or a .zip archive that is a regular file (a FIFO would block the read),
    /// without reading it: the CLI checks every root before it claims its output directory.
    /// </summary>
    public static void CheckRoot(string root, string what)
    {
        if (Directory.Exists(root)) return;
        if (!File.Exists(root)) throw new UserError($"{root}: {what} path not found");
        if (!root.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) throw new UserError($"{root}: {what} path must be a directory or a .zip archive");
        if (Libc.KindOf(root) != Libc.FileKind.Regular) throw new UserError($"{root}: {what} archive is not a regular file (a FIFO or device?)");
    }

    /// <summary>
    /// Drops a BOM, turns \r\n into \n, and replaces characters outside the Basic Multilingual Plane by U+FFFD:
    /// windows are cut in UTF-16 units, and a surrogate pair split by a cut would be an unencodable half character
    /// (such characters are vanishingly rare in source code).
    /// </summary>
    public static string Normalise(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF')) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append('\uFFFD'); i++; }
            else if (char.IsSurrogate(text[i])) sb.Append('\uFFFD');
            else sb.Append(text[i]);
        }
        return sb.ToString();
    }

    /// <summary>A zip entry under a hidden or excluded directory, like the directory walker leaves out.</summary>
    static bool Excluded(string entry)
    {
        var parts = entry.Replace('\\', '/').Split('/');
        return parts.Take(parts.Length - 1).Any(p => p.StartsWith('.') || ExcludedDirs.Contains(p)) || parts[^1].StartsWith('.');
    }

    static bool HasExtension(string path, IReadOnlyList<string> extensions) =>
        extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    static IEnumerable<(string Path, Func<byte[]>? Bytes)> FromDirectory(string root, IReadOnlyList<string> extensions, string what)
    {
        var result = new List<(string, Func<byte[]>?)>();
        var pending = new Stack<string>();
        pending.Push(root);
        bool first = true;
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            string[] files, dirs;
            try { files = Directory.GetFiles(dir); dirs = Directory.GetDirectories(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (first) throw new UserError($"{root}: cannot read {what} directory ({e.Message})");
                continue;   // an unreadable subdirectory is left out, like an excluded one
            }
            first = false;
            foreach (var f in files)
                if (HasExtension(f, extensions) && !System.IO.Path.GetFileName(f).StartsWith('.'))
                {
                    var full = f;
                    // Directory.GetFiles lists FIFOs and devices too; a FIFO would block the read forever.
                    var regular = Libc.KindOf(full) is Libc.FileKind.Regular or Libc.FileKind.Missing;
                    result.Add((System.IO.Path.GetRelativePath(root, f).Replace('\\', '/'), regular ? () => File.ReadAllBytes(full) : null));
                }
            foreach (var d in dirs)
            {
                var name = System.IO.Path.GetFileName(d);
                // Hidden directories, installed packages and caches are not part of the corpus; linked directories
                // are not followed (they can loop).
                if (name.StartsWith('.') || ExcludedDirs.Contains(name) || new DirectoryInfo(d).LinkTarget is not null) continue;
                pending.Push(d);
            }
        }
        return result;
    }

    static ZipArchive OpenZip(string path, string what)
    {
        try { return ZipFile.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        { throw new UserError($"{path}: cannot read {what} zip archive ({e.Message.Split('\n')[0]})"); }
    }

    static byte[] ReadEntry(ZipArchiveEntry e)
    {
        using var s = e.Open();
        using var ms = new MemoryStream((int)Math.Min(e.Length, int.MaxValue));
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
