using Spectre.Console;

namespace Mirage.Cli.Terminal;

/// <summary>
/// Where the console output goes. Tests pass their own writers; the real program uses the terminal.
/// <see cref="Quiet"/> turns off progress displays (scripts, CI).
/// </summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr, Interruption? interruption = null)
{
    public TextWriter Stdout { get; } = stdout;
    public TextWriter Stderr { get; } = stderr;

    /// <summary>SIGINT/SIGTERM handling of the real program; null when a test builds a context itself.</summary>
    public Interruption? Interruption { get; } = interruption;

    /// <summary>For a command that stops cleanly on SIGINT/SIGTERM: arms the handler and returns the token to check.</summary>
    public CancellationToken StopOnSignal()
    {
        Interruption?.Arm();
        return Interruption?.Token ?? CancellationToken.None;
    }

    /// <summary>True when stdout is the program's own terminal (not a file, a pipe or a test's writer).</summary>
    readonly bool _terminal = IsTerminal(stdout);

    /// <summary>True when <paramref name="w"/> is the process's stdout or stderr and that stream is a terminal.</summary>
    static bool IsTerminal(TextWriter w) =>
        ReferenceEquals(w, System.Console.Out) ? !System.Console.IsOutputRedirected : ReferenceEquals(w, System.Console.Error) && !System.Console.IsErrorRedirected;

    /// <summary>Spectre console for tables and progress; plain (no colour, no live display) unless stdout is a terminal.</summary>
    public IAnsiConsole Console { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(stdout),
        Ansi = IsTerminal(stdout) ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = IsTerminal(stdout) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = IsTerminal(stdout) ? InteractionSupport.Detect : InteractionSupport.No,
    });

    /// <summary>True when stderr is the program's own terminal.</summary>
    readonly bool _stderrTerminal = IsTerminal(stderr);
    bool _statusShown;

    /// <summary>
    /// A progress message on stderr: on a terminal, one line rewritten in place (no thread redraws it, so nothing
    /// competes with what is being timed); to a file or a pipe, a line each, as logs expect. <see cref="ClearStatus"/>
    /// removes it before results are printed.
    /// </summary>
    public void Status(string line)
    {
        if (!_stderrTerminal) { Stderr.WriteLine(line); return; }
        int width = Math.Max(20, Console.Profile.Width);
        Stderr.Write("\r\u001b[2K" + (line.Length < width ? line : line[..(width - 2)] + "…"));
        Stderr.Flush();
        _statusShown = true;
    }

    /// <summary>Clears the status line on a terminal, if one is shown.</summary>
    public void ClearStatus()
    {
        if (!_statusShown) return;
        Stderr.Write("\r\u001b[2K");
        Stderr.Flush();
        _statusShown = false;
    }

    /// <summary>
    /// Writes a message line to stdout. On a terminal it is wrapped at spaces to the terminal's width, the later lines
    /// indented, so that an 80-column terminal does not cut words in two; to a file or a pipe it stays one line, as
    /// logs and the scripts that grep them expect.
    /// </summary>
    public void Say(string line) => Stdout.WriteLine(_terminal ? Wrap(line, Console.Profile.Width) : line);

    /// <summary>
    /// <paramref name="line"/> broken at spaces into lines of at most <paramref name="width"/> characters, every line
    /// after the first indented by <paramref name="indent"/> spaces; a word longer than a line is cut.
    /// </summary>
    public static string Wrap(string line, int width, int indent = 2)
    {
        if (width < 2 * indent + 10 || line.Length <= width) return line;
        var sb = new System.Text.StringBuilder();
        string rest = line;
        int room = width;
        while (rest.Length > room)
        {
            int cut = rest.LastIndexOf(' ', room);   // the space may sit just past the last character that fits
            if (cut <= 0) cut = room;
            sb.Append(rest[..cut].TrimEnd()).Append('\n').Append(' ', indent);
            rest = rest[cut..].TrimStart();
            room = width - indent;
        }
        return sb.Append(rest).ToString();
    }

    /// <summary>True when live progress bars make sense (an interactive terminal).</summary>
    public bool Interactive => Console.Profile.Capabilities.Interactive;
}
