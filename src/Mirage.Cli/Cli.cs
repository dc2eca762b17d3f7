using System.CommandLine;
using Mirage.Cli.Commands;
using Spectre.Console;

namespace Mirage.Cli;

/// <summary>
/// Where the console output goes. Tests pass their own writers; the real program uses the terminal.
/// <see cref="Quiet"/> turns off progress displays (scripts, CI).
/// </summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Stdout { get; } = stdout;
    public TextWriter Stderr { get; } = stderr;

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

public static class Cli
{
    /// <summary>Exit code for a user mistake (bad flag, bad file, impossible setting).</summary>
    public const int UsageError = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var ctx = new CliContext(stdout, stderr);
        var root = new RootCommand("Mirage: do simplified explanations of Transformers stay faithful out of distribution?");
        foreach (var command in Commands(ctx)) root.Subcommands.Add(command);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) stderr.WriteLine($"error: {e.Message}");
            return UsageError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Unwrap(e) is UserError ue)
        {
            stderr.WriteLine($"error: {ue.Message}");
            return UsageError;
        }
    }

    static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0]) : e.InnerException is UserError ? e.InnerException : e;

    static IEnumerable<Command> Commands(CliContext ctx)
    {
        yield return DataCommand.Create(ctx);
        yield return TrainCommand.Create(ctx);
        yield return EvalCommand.Create(ctx);
        yield return SimplifyCommand.Create(ctx);
        yield return ReportCommand.Create(ctx);
        yield return ReproduceCommand.Create(ctx);
        yield return BenchCommand.Create(ctx);
    }
}
