namespace Mirage.IO;

/// <summary>
/// A kind of directory a Mirage command writes, and how to recognise an earlier one: the only directories Mirage
/// replaces or writes into are empty ones and those <see cref="IsEarlierOutput"/> accepts.
/// </summary>
/// <param name="Command">The command that writes it, as the user types it ("mirage simplify").</param>
/// <param name="Noun">What it is called in messages ("a results directory").</param>
/// <param name="IsEarlierOutput">True for a directory this command wrote earlier (its manifest says so).</param>
/// <param name="CleanUp">Removes the command's own leftovers inside the directory (a killed process's temporary files); called under the lock.</param>
public sealed record OutputKind(string Command, string Noun, Func<string, bool> IsEarlierOutput, Action<string>? CleanUp = null);
