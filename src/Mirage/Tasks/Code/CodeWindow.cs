namespace Mirage.Tasks.Code;

/// <summary>One window of <c>window</c> characters cut from <see cref="File"/> at character <see cref="Offset"/>.</summary>
public sealed record CodeWindow(string File, int Offset, string Text, int MaxDepth);

/// <summary>
/// Bracket nesting as the code task counts it: (), [] and {} on the raw characters, from depth 0 at the window start.
/// There is no string or comment parsing (a bracket inside a string literal counts like any other), and a closer
/// with no opener inside the window is ignored, since the window cannot see what it closes.
/// </summary>
public static class Brackets
{
    public static bool IsOpener(char c) => c is '(' or '[' or '{';
    public static bool IsCloser(char c) => c is ')' or ']' or '}';
    public static char CloserOf(char opener) => opener switch { '(' => ')', '[' => ']', '{' => '}', _ => '\0' };

    /// <summary>Maximum nesting depth of the window (0 = no bracket opened).</summary>
    public static int MaxDepth(ReadOnlySpan<char> text)
    {
        int depth = 0, max = 0;
        foreach (var c in text)
        {
            if (IsOpener(c)) { if (++depth > max) max = depth; }
            else if (IsCloser(c) && depth > 0) depth--;
        }
        return max;
    }
}
