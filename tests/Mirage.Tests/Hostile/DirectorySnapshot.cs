using System.Security.Cryptography;

namespace Mirage.Tests.Hostile;

/// <summary>
/// Every file (by sha256) and directory under a case's directory, taken before a command, so the assertions can
/// check that nothing was lost or changed and that nothing new appeared. Lock files (<c>.NAME.lock</c>) are Mirage's
/// own: their content (the holder's pid) changes with every holder, so only their existence is compared.
/// </summary>
public sealed class DirectorySnapshot
{
    readonly string _root;
    readonly Dictionary<string, string> _files = new();
    readonly HashSet<string> _dirs = new();

    public DirectorySnapshot(string root)
    {
        _root = root;
        foreach (var d in Directory.GetDirectories(root, "*", SearchOption.AllDirectories)) _dirs.Add(Path.GetRelativePath(root, d));
        foreach (var f in Directory.GetFiles(root, "*", SearchOption.AllDirectories)) _files[Path.GetRelativePath(root, f)] = Hash(f);
    }

    static bool IsLock(string relative) => Path.GetFileName(relative) is var n && n.StartsWith('.') && n.EndsWith(".lock", StringComparison.Ordinal);

    static string Hash(string path)
    {
        // A FIFO would block the read forever; what it is, not what it holds, is compared.
        if (Native.Libc.KindOf(path) == Native.Libc.FileKind.Other) return "special";
        try { using var s = File.OpenRead(path); return Convert.ToHexStringLower(SHA256.HashData(s)); }
        catch (UnauthorizedAccessException) { return "unreadable"; }
    }

    /// <summary>Asserts every earlier file is there unchanged, and every new entry matches one of <paramref name="allowedNew"/> (relative paths).</summary>
    public void AssertNothingLostOrChanged(params string[] allowedNew)
    {
        foreach (var (rel, sha) in _files)
        {
            var path = Path.Combine(_root, rel);
            Assert.True(File.Exists(path), $"{rel} was deleted");
            if (!IsLock(rel)) Assert.True(Hash(path) == sha, $"{rel} was changed");
        }
        foreach (var rel in _dirs) Assert.True(Directory.Exists(Path.Combine(_root, rel)), $"directory {rel} was deleted");
        var now = Directory.GetFileSystemEntries(_root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_root, p));
        foreach (var rel in now)
        {
            Assert.DoesNotMatch(@"\.tmp-\d+-|\.old-[0-9a-f]{32}|\.mirage-probe-", rel);
            if (!_files.ContainsKey(rel) && !_dirs.Contains(rel))
                Assert.True(allowedNew.Contains(rel), $"the command left a new entry {rel}");
        }
    }
}
