using System.CommandLine;
using Mirage.Cli.Commands;
using Mirage.Cli.Terminal;

namespace Mirage.Cli;

/// <summary>
/// The <c>mirage</c> program. Exit codes: 0 done; 1 an internal error (a bug: the only case with a stack trace);
/// 2 a user mistake (a flag, a config, an input file or directory, an output that would replace something Mirage did
/// not make); 3 the file system or environment refused (permission denied, disk full, read-only file system, a
/// directory another mirage process is writing, a study task killed by the kernel); 130 / 143 stopped by SIGINT /
/// SIGTERM. A study task run in its own process passes its exit code on to <c>reproduce</c>. Every error is one line
/// on stderr naming the file, flag or key.
/// </summary>
public static class Cli
{
    /// <summary>Exit code for a user mistake (bad flag, bad file, impossible setting).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a failure of the file system or environment (permission, space, a lock held elsewhere).</summary>
    public const int FileSystemFailure = 3;

    /// <summary>Exit code for a bug in Mirage (an exception nobody expected).</summary>
    public const int InternalError = 1;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        using var interruption = new Interruption();
        var ctx = new CliContext(stdout, stderr, interruption);
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
        // Everything is caught here, not only what we expect: an exception that escapes Main skips every finally
        // block on the way out, and those are what remove staging directories and release locks.
        catch (Exception e)
        {
            return Fail(Unwrap(e), interruption, stderr);
        }
    }

    static int Fail(Exception e, Interruption interruption, TextWriter stderr)
    {
        switch (e)
        {
            case UserError:
                stderr.WriteLine($"error: {OneLine(e.Message)}");
                return UsageError;
            case OperationCanceledException when interruption.Signal is not null && interruption.RunByParent:
                return interruption.ExitCode;   // a task of a `reproduce` parent, which says it once for the study
            case OperationCanceledException when interruption.Signal is not null:
                stderr.WriteLine($"interrupted by {interruption.SignalName}: stopped cleanly, no partial output left; run the same command again to redo it");
                return interruption.ExitCode;
            case Study.TaskProcessFailed f:
                return TaskExit(f, stderr);
            case FileSystemError:
                stderr.WriteLine($"error: {OneLine(e.Message)}");
                return FileSystemFailure;
            case IOException or UnauthorizedAccessException:
                stderr.WriteLine($"error: {IO.FileSystemMessage.Describe(e)}");
                return FileSystemFailure;
            case OutOfMemoryException:
                stderr.WriteLine("error: out of memory; use smaller settings (fewer sequences, a smaller model or batch)");
                return FileSystemFailure;
            default:
                stderr.WriteLine($"internal error (a bug in Mirage; please report it with the command line): {e}");
                return InternalError;
        }
    }

    /// <summary>
    /// A study task in its own process failed. For Mirage's own exit codes the task has already printed its one line, so
    /// the study only passes the code on; anything else (a kill by the kernel, e.g. for lack of memory) gets a line here.
    /// </summary>
    static int TaskExit(Study.TaskProcessFailed f, TextWriter stderr)
    {
        switch (f.ExitCode)
        {
            case InternalError or UsageError or FileSystemFailure:
                return f.ExitCode;
            case -1:
                return FileSystemFailure;   // could not start; ChildProcess said why
            case 130 or 143:
                stderr.WriteLine($"task {f.Task.Name} was interrupted by {(f.ExitCode == 130 ? "SIGINT" : "SIGTERM")} sent to it alone; run the same command again to go on");
                return f.ExitCode;
            case > 128:
                stderr.WriteLine($"error: task {f.Task.Name} was killed by signal {f.ExitCode - 128} (exit {f.ExitCode}; signal 9 is often the kernel's out-of-memory killer); run the same command again to go on");
                return FileSystemFailure;
            default:
                stderr.WriteLine($"error: task {f.Task.Name} ended with exit code {f.ExitCode}");
                return FileSystemFailure;
        }
    }

    static string OneLine(string s) => s.Replace("\r\n", " ").Replace('\n', ' ');

    static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ when e.InnerException is UserError or FileSystemError => e.InnerException,
        _ => e,
    };

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
