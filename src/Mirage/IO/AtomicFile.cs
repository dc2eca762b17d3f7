using System.Text;
using System.Text.RegularExpressions;

namespace Mirage.IO;

/// <summary>
/// Writes that never leave a half-written file behind: write to a temporary sibling, then rename over the target
/// (rename is atomic on one file system). An interrupted write leaves the old file, or none, never a torn one.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, s => { using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>Streams content into a temporary file, flushes it to disk, then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    static void TryDelete(string path) { try { File.Delete(path); } catch (IOException) { } }

    /// <summary>The temporary name's suffix: <c>.tmp-PID-GUID</c>. Nothing else Mirage or a user writes ends this way.</summary>
    internal static readonly Regex TempSuffix = new(@"\.tmp-\d+-[0-9a-f]{32}$", RegexOptions.Compiled);

    /// <summary>
    /// Deletes the temporary files a killed process left directly inside <paramref name="dir"/>. Only for a directory
    /// whose <see cref="DirectoryLock"/> the caller holds: no other process can be writing them then.
    /// </summary>
    public static void CleanStale(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir))
            if (TempSuffix.IsMatch(Path.GetFileName(f))) TryDelete(f);
    }
}

/// <summary>
/// Builds a whole output directory in a temporary sibling and renames it into place at the end, so a failed or
/// interrupted command leaves no partial directory.
/// </summary>
public sealed class StagingDirectory : IDisposable
{
    public string FinalPath { get; }
    public string Path { get; }
    bool _committed;

    public StagingDirectory(string finalPath)
    {
        // Trimmed: "res/" must stage beside res, not inside it.
        FinalPath = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(finalPath));
        var parent = System.IO.Path.GetDirectoryName(FinalPath)!;
        Directory.CreateDirectory(parent);
        Path = System.IO.Path.Combine(parent, $".{System.IO.Path.GetFileName(FinalPath)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>Moves the staged directory to its final path, replacing an existing one (which the caller checked).</summary>
    public void Commit()
    {
        if (Directory.Exists(FinalPath))
        {
            var old = FinalPath + $".old-{Guid.NewGuid():N}";
            Directory.Move(FinalPath, old);
            Directory.Move(Path, FinalPath);
            Directory.Delete(old, recursive: true);
        }
        else Directory.Move(Path, FinalPath);
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(Path))
            try { Directory.Delete(Path, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Repairs what a process killed while building <paramref name="finalPath"/> left beside it: a crash between the two
    /// renames of <see cref="Commit"/> leaves only <c>NAME.old-GUID</c>, which is moved back; staging directories
    /// (<c>.NAME.tmp-PID-GUID</c>) and superseded old copies are deleted. Only for a directory whose
    /// <see cref="DirectoryLock"/> the caller holds: no other process can be building it then.
    /// </summary>
    public static void Recover(string finalPath)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(finalPath));
        var parent = System.IO.Path.GetDirectoryName(full)!;
        var name = System.IO.Path.GetFileName(full);
        if (!Directory.Exists(parent)) return;
        var old = Directory.GetDirectories(parent, name + ".old-*").Where(d => OldSuffix.IsMatch(System.IO.Path.GetFileName(d)[name.Length..])).ToList();
        if (!Directory.Exists(full) && old.Count > 0)
        {
            Directory.Move(old[0], full);
            old.RemoveAt(0);
        }
        var staging = Directory.GetDirectories(parent, "." + name + ".tmp-*").Where(d => AtomicFile.TempSuffix.IsMatch(System.IO.Path.GetFileName(d)[(name.Length + 1)..]));
        foreach (var d in old.Concat(staging))
            try { Directory.Delete(d, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    static readonly Regex OldSuffix = new(@"^\.old-[0-9a-f]{32}$", RegexOptions.Compiled);
}
