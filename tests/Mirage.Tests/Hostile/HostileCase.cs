namespace Mirage.Tests.Hostile;

/// <summary>
/// One hostile input: the command line (<c>{w}</c> stands for the case's own copy of the fixture), the exit code and
/// the words its one-line message must contain (the file, flag or key), what to damage first, and which new entries
/// the command may leave (relative paths; by default none at all).
/// </summary>
public sealed record HostileCase(string Name, string[] Args, int Exit, string[] Mentions)
{
    /// <summary>Damage done to the case's copy before the snapshot (a truncated file, NaN weights, a FIFO).</summary>
    public Action<string>? Setup { get; init; }

    /// <summary>Something held while the command runs (a lock another "process" holds).</summary>
    public Func<string, IDisposable>? Hold { get; init; }

    /// <summary>Run as a separate `mirage` process in the case's directory (for relative paths such as ".").</summary>
    public bool InProcess { get; init; } = true;

    public string[] MayCreate { get; init; } = [];

    public override string ToString() => Name;

    public string[] ArgsFor(string w) => Args.Select(a => a.Replace("{w}", w)).ToArray();
}
