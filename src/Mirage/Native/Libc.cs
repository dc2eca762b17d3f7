using System.Runtime.InteropServices;
using System.Text;

namespace Mirage.Native;

/// <summary>
/// The few Linux system calls .NET does not expose: flock on a descriptor that .NET's own FileStream locking does not
/// touch (see <see cref="IO.DirectoryLock"/>), the file type (regular file, FIFO, device) of a path, realpath, and
/// sending a signal other than SIGKILL to a child.
/// </summary>
internal static class Libc
{
    const string Lib = "libc.so.6";
    public const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
    public const int LOCK_EX = 2, LOCK_NB = 4;
    public const int EINTR = 4, EACCES = 13, EWOULDBLOCK = 11, EROFS = 30;
    const int AT_FDCWD = -100, STATX_TYPE = 1;
    const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000;

    [DllImport(Lib, EntryPoint = "open", SetLastError = true)]
    public static extern int Open(string path, int flags, int mode);

    [DllImport(Lib, EntryPoint = "flock", SetLastError = true)]
    public static extern int Flock(int fd, int operation);

    [DllImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    public static extern int Ftruncate(int fd, long length);

    [DllImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    static extern nint Pwrite(int fd, byte[] buf, nint count, long offset);

    [DllImport(Lib, EntryPoint = "pread", SetLastError = true)]
    static extern nint Pread(int fd, byte[] buf, nint count, long offset);

    [DllImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);

    [DllImport(Lib, EntryPoint = "strerror")]
    static extern IntPtr StrError(int errno);

    // statx's buffer layout is the same on every Linux architecture (unlike struct stat); stx_mode is a u16 at offset 28.
    [DllImport(Lib, EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [DllImport(Lib, EntryPoint = "realpath", SetLastError = true)]
    static extern IntPtr RealPath(string path, IntPtr resolved);

    [DllImport(Lib, EntryPoint = "free")]
    static extern void Free(IntPtr p);

    public static string Error(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";

    /// <summary>Writes <paramref name="text"/> at offset 0; false if the write failed (the caller decides whether that matters).</summary>
    public static bool WriteAt0(int fd, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return Pwrite(fd, bytes, bytes.Length, 0) == bytes.Length;
    }

    /// <summary>Up to <paramref name="max"/> bytes from offset 0 as UTF-8, or null.</summary>
    public static string? ReadAt0(int fd, int max)
    {
        var buf = new byte[max];
        var n = Pread(fd, buf, max, 0);
        return n < 0 ? null : Encoding.UTF8.GetString(buf, 0, (int)n);
    }

    public enum FileKind { Missing, Regular, Directory, Other }

    /// <summary>The type of what <paramref name="path"/> names, following symbolic links.</summary>
    public static FileKind KindOf(string path)
    {
        var buf = new byte[256];
        if (Statx(AT_FDCWD, path, 0, STATX_TYPE, buf) != 0) return FileKind.Missing;
        int mode = BitConverter.ToUInt16(buf, 28) & S_IFMT;
        return mode == S_IFREG ? FileKind.Regular : mode == S_IFDIR ? FileKind.Directory : FileKind.Other;
    }

    /// <summary>The canonical path (symbolic links, "." and ".." resolved) of an existing path, or null.</summary>
    public static string? Real(string path)
    {
        var p = RealPath(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Free(p); }
    }
}
