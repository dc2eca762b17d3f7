using Mirage.Native;

namespace Mirage.IO;

/// <summary>
/// The one guard every command passes its output directory through, so that Mirage never destroys what it did not
/// make. <see cref="Check"/> (no side effects, before any work): the path is not empty, not a file, not the root, does
/// not equal, contain or sit inside one of the command's inputs, and is absent, empty, or recognisably an earlier
/// output of the same command (<see cref="OutputKind.IsEarlierOutput"/>). <see cref="Claim"/> (just before writing):
/// takes the directory's lock (<see cref="DirectoryLock"/>), checks again under it, recovers or removes what a killed
/// earlier process left, and proves the directory can be written — so a bad output fails before the work, not after.
/// </summary>
public sealed class OutputDirectory
{
    /// <summary>The path as the user gave it (for messages).</summary>
    public string Path { get; }
    /// <summary>The absolute path.</summary>
    public string FullPath { get; }
    public OutputKind Kind { get; }
    readonly string _flag;

    OutputDirectory(string path, string fullPath, OutputKind kind, string flag) { Path = path; FullPath = fullPath; Kind = kind; _flag = flag; }

    public bool Exists => Directory.Exists(FullPath);

    /// <summary>True when the directory exists and holds anything at all (hidden files included).</summary>
    public bool HasContent => Directory.Exists(FullPath) && Directory.EnumerateFileSystemEntries(FullPath).Any();

    /// <summary>
    /// The checks that need no lock and change nothing; throws a <see cref="UserError"/> naming <paramref name="flag"/>.
    /// <paramref name="inputs"/> are the paths the command reads (null or empty entries are ignored).
    /// </summary>
    public static OutputDirectory Check(string? path, string flag, OutputKind kind, IEnumerable<string?> inputs)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UserError($"{flag}: empty path; expected a directory");
        if (path.Contains('\0')) throw new UserError($"{flag}: the path holds a NUL character");
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        if (System.IO.Path.GetDirectoryName(full) is null) throw new UserError($"{flag} {path}: the root directory cannot be an output directory");
        if (File.Exists(full) && !Directory.Exists(full)) throw new UserError($"{flag} {path}: is a file; expected a directory");
        var ancestor = NearestExisting(full);
        if (ancestor != full && !Directory.Exists(ancestor)) throw new UserError($"{flag} {path}: {ancestor} is a file, not a directory");

        var real = Canonical(full);
        foreach (var input in inputs)
        {
            if (string.IsNullOrWhiteSpace(input)) continue;
            var other = Canonical(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(input)));
            if (other == real) throw new UserError($"{flag} {path}: is also an input of this command ({input}); choose another output directory");
            if (Inside(real, other)) throw new UserError($"{flag} {path}: lies inside the input {input}; choose an output directory outside it");
            if (Inside(other, real)) throw new UserError($"{flag} {path}: contains the input {input}; choose an output directory that does not hold it");
        }
        var output = new OutputDirectory(path, full, kind, flag);
        output.CheckRecognised();
        return output;
    }

    void CheckRecognised()
    {
        if (!HasContent) return;
        if (Kind.IsEarlierOutput(FullPath))
        {
            if (Kind.Foreign(FullPath) is { Count: > 0 } foreign)
                throw new UserError($"{_flag} {Path}: is {Kind.Noun} but also holds {string.Join(", ", foreign.Take(3))}{(foreign.Count > 3 ? ", ..." : "")}, which `{Kind.Command}` did not write and would delete with it: move {(foreign.Count > 1 ? "them" : "it")} out first, or choose another directory");
            return;
        }
        throw new UserError($"{_flag} {Path}: exists, is not empty and is not {Kind.Noun} written by `{Kind.Command}`; Mirage replaces nothing it did not make: choose another directory (or empty it yourself)");
    }

    /// <summary>
    /// Locks the directory for this process (failing at once if another holds it), repeats the recognition check under
    /// the lock, tidies what a killed earlier run left, and proves the directory (or, while it does not exist, its
    /// parent) can be written. Dispose the result when the output is complete.
    /// </summary>
    public DirectoryLock Claim()
    {
        var held = DirectoryLock.Acquire(FullPath, Kind.Command, Path);
        try
        {
            StagingDirectory.Recover(FullPath);
            CheckRecognised();
            if (Exists)
            {
                AtomicFile.CleanStale(FullPath);
                Kind.CleanUp?.Invoke(FullPath);
            }
            ProbeWritable(Exists ? FullPath : System.IO.Path.GetDirectoryName(FullPath)!);
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    void ProbeWritable(string dir)
    {
        var probe = System.IO.Path.Combine(dir, $".mirage-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileSystemError($"{_flag} {Path}: cannot write in {dir} ({FileSystemMessage.Reason(e)})", e);
        }
    }

    static string NearestExisting(string full)
    {
        var p = full;
        while (!File.Exists(p) && !Directory.Exists(p) && System.IO.Path.GetDirectoryName(p) is string parent) p = parent;
        return p;
    }

    /// <summary>The path with symbolic links resolved as far as it exists (so a link to an input is caught too).</summary>
    static string Canonical(string full)
    {
        var existing = NearestExisting(full);
        var real = Libc.Real(existing) ?? existing;
        return existing == full ? real : System.IO.Path.Combine(real, System.IO.Path.GetRelativePath(existing, full));
    }

    static bool Inside(string path, string dir) => path.StartsWith(dir.EndsWith('/') ? dir : dir + "/", StringComparison.Ordinal);
}
