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

    /// <summary>Spectre console for tables and progress; plain (no colour, no live display) unless stdout is a terminal.</summary>
    public IAnsiConsole Console { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(stdout),
        Ansi = ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected ? InteractionSupport.Detect : InteractionSupport.No,
    });

    /// <summary>True when live progress bars make sense (an interactive terminal).</summary>
    public bool Interactive => Console.Profile.Capabilities.Interactive;
}
