namespace Mirage.Cli.Terminal;

/// <summary>
/// An IProgress that reports on the caller's thread at once. System.Progress posts to the thread pool, so lines could
/// print out of order or after the command has finished; a progress display wants each report as it happens.
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
