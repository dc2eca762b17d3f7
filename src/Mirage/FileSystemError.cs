namespace Mirage;

/// <summary>
/// The file system or the environment refused (permission denied, disk full, read-only file system, a directory
/// another Mirage process is writing): not a mistake in what the user asked for. The CLI prints its message as one
/// line and exits with code 3; no stack trace. Messages name the path and the system's reason.
/// </summary>
public sealed class FileSystemError(string message, Exception? inner = null) : Exception(message, inner);
