namespace Mirage.IO;

/// <summary>
/// A kind of directory a Mirage command writes, and how to recognise an earlier one: the only directories Mirage
/// replaces or writes into are empty ones and those <see cref="IsEarlierOutput"/> accepts.
/// </summary>
/// <param name="Command">The command that writes it, as the user types it ("mirage simplify").</param>
/// <param name="Noun">What it is called in messages ("a results directory").</param>
/// <param name="IsEarlierOutput">True for a directory this command wrote earlier (its manifest says so).</param>
/// <param name="CleanUp">Removes the command's own leftovers inside the directory (a killed process's temporary files); called under the lock.</param>
/// <param name="Owns">
/// For outputs replaced whole: given the directory, which names of entries in it the command wrote there (read once
/// per check: it may read the directory's manifest). Anything else inside (a file the user added) makes the directory
/// the user's again, and it is refused rather than deleted with it.
/// </param>
public sealed record OutputKind(string Command, string Noun, Func<string, bool> IsEarlierOutput, Action<string>? CleanUp = null, Func<string, Func<string, bool>>? Owns = null)
{
    /// <summary>Entries of <paramref name="dir"/> this command did not write (empty when <see cref="Owns"/> is not set).</summary>
    public IReadOnlyList<string> Foreign(string dir) => Owns is null ? [] : Foreign(dir, Owns(dir));

    /// <summary>Names of the entries of <paramref name="dir"/> that <paramref name="owns"/> does not claim, in order.</summary>
    public static IReadOnlyList<string> Foreign(string dir, Func<string, bool> owns) =>
        Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Where(n => !owns(n!)).Select(n => n!).Order(StringComparer.Ordinal).ToList();
}
