namespace Mirage.IO;

/// <summary>Checks of an input path before it is read, so a mistake is named as such ("is a file", "not found").</summary>
public static class InputPath
{
    /// <summary>Throws a <see cref="UserError"/> unless <paramref name="path"/> is an existing directory.</summary>
    public static void Directory(string? path, string flag, string what, string? hint = null)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UserError($"{flag}: empty path; expected a {what}");
        if (System.IO.Directory.Exists(path)) return;
        if (File.Exists(path)) throw new UserError($"{path}: is a file; {flag} expects a {what}");
        throw new UserError($"{path}: {what} not found" + (hint is null ? "" : $"; {hint}"));
    }
}
