using System.Text.RegularExpressions;

namespace Mirage.IO;

/// <summary>
/// One line for a file-system exception: .NET's message ("No space left on device : '/x/.res.tmp-12-ab…/rows.csv'")
/// with the temporary names of <see cref="StagingDirectory"/> and <see cref="AtomicFile"/> mapped back to the path the
/// user asked for, so the message names their file rather than one they never saw.
/// </summary>
public static partial class FileSystemMessage
{
    [GeneratedRegex(@"/\.([^/]+)\.tmp-\d+-[0-9a-f]{32}(?=/|'|$|\s)")]
    private static partial Regex StagingDir();

    [GeneratedRegex(@"\.tmp-\d+-[0-9a-f]{32}")]
    private static partial Regex TempSuffix();

    /// <summary>The message of <paramref name="e"/> on one line, temporary names replaced by their final ones.</summary>
    public static string Describe(Exception e)
    {
        var text = e.Message.Replace('\n', ' ').Replace('\r', ' ').Trim();
        text = StagingDir().Replace(text, "/$1");
        return TempSuffix().Replace(text, "");
    }

    /// <summary>Just the system's reason when .NET's message is "REASON : 'PATH'" (the caller names the path itself).</summary>
    public static string Reason(Exception e)
    {
        if (e is UnauthorizedAccessException) return "permission denied";
        var text = Describe(e);
        int i = text.LastIndexOf(" : '", StringComparison.Ordinal);
        return i > 0 && text.EndsWith('\'') ? text[..i] : text;
    }
}
