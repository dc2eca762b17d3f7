namespace Mirage;

/// <summary>
/// A mistake in what the user gave us (a flag, a config file, a data or run directory). The CLI prints its message
/// as one line and exits with code 2; no stack trace. Messages name the file or setting, what was expected and
/// what was found. Failures of the file system itself are <see cref="FileSystemError"/>s (exit 3).
/// </summary>
public sealed class UserError(string message) : Exception(message);
