using System.Runtime.InteropServices;
using Mirage.Native;

namespace Mirage.IO;

/// <summary>
/// One writer per output directory: an exclusive, non-blocking flock(2) on a hidden sibling file <c>.NAME.lock</c>
/// (next to <c>NAME</c>, so it survives the staging rename that replaces <c>NAME</c> itself), held until disposed. The
/// kernel drops the lock when the process dies, however it dies, so a lock is never stale. The file holds the holder's
/// host, process id, command and start time, which a second process prints when it is refused.
/// </summary>
/// <remarks>
/// The lock is taken through libc rather than a .NET FileStream: on Linux, FileStream takes flock(LOCK_EX) for
/// FileShare.None and flock(LOCK_SH) for every read, so a second process could not even read the holder's name from
/// a file locked that way. Lock files are never deleted on release: deleting one while another process has just
/// opened it would let two processes each lock a different file of the same name.
/// </remarks>
public sealed class DirectoryLock : IDisposable
{
    int _fd;

    public string Directory { get; }

    /// <summary>The lock file of <paramref name="directory"/>: <c>PARENT/.NAME.lock</c>.</summary>
    public static string PathFor(string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return Path.Combine(Path.GetDirectoryName(full) ?? full, $".{Path.GetFileName(full)}.lock");
    }

    DirectoryLock(string directory, int fd) { Directory = directory; _fd = fd; }

    /// <summary>
    /// Locks <paramref name="directory"/> (which need not exist yet; its parent is created) for <paramref name="command"/>,
    /// or fails at once: a <see cref="FileSystemError"/> naming the directory and the holder, or the path and the system's reason.
    /// </summary>
    /// <param name="display">How messages name the directory (the path as the user gave it); default <paramref name="directory"/>.</param>
    public static DirectoryLock Acquire(string directory, string command, string? display = null)
    {
        var path = PathFor(directory);
        var name = display ?? directory;
        try { System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new FileSystemError($"{name}: cannot create its parent directory ({FileSystemMessage.Reason(e)})", e); }

        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0b110_110_110);
        int openError = fd < 0 ? Marshal.GetLastPInvokeError() : 0;   // read at once: any later call may overwrite it
        bool writable = fd >= 0;
        // A lock file another user created may be read-only for us; flock works on a read-only descriptor too.
        if (fd < 0 && openError == Libc.EACCES && File.Exists(path)) fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw new FileSystemError($"{name}: cannot create the lock file {path} ({Libc.Error(openError)})");
        int rc;
        do rc = Libc.Flock(fd, Libc.LOCK_EX | Libc.LOCK_NB); while (rc != 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            var holder = errno == Libc.EWOULDBLOCK ? Libc.ReadAt0(fd, 4096) : null;
            Libc.Close(fd);
            if (errno != Libc.EWOULDBLOCK) throw new FileSystemError($"{name}: cannot lock {path} ({Libc.Error(errno)})");
            throw new FileSystemError($"{name}: another mirage process is writing it ({Describe(holder)}); wait for it to finish or choose another directory");
        }
        if (writable)
        {
            // Who holds it, for the message of a refused second process. Best effort: a full disk may refuse even this.
            Libc.Ftruncate(fd, 0);
            Libc.WriteAt0(fd, $"pid={Environment.ProcessId} host={Environment.MachineName} command={command.Replace(' ', '_')} since={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\n");
        }
        return new DirectoryLock(name, fd);
    }

    /// <summary>"pid 123 on host vm, mirage train, since 2025-01-01T10:00:00Z" from the lock file's line.</summary>
    static string Describe(string? content)
    {
        var fields = (content ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
        if (!fields.TryGetValue("pid", out var pid)) return "its holder did not record its name yet";
        var text = $"process {pid} on host {fields.GetValueOrDefault("host", "?")}";
        if (fields.TryGetValue("command", out var c)) text += $", {c.Replace('_', ' ')}";
        if (fields.TryGetValue("since", out var s)) text += $", since {s}";
        return text;
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        Libc.Close(_fd);   // closing the last descriptor releases the flock
        _fd = -1;
    }
}
