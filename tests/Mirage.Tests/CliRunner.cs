using Mirage.Cli;

namespace Mirage.Tests;

/// <summary>Runs the CLI in-process, capturing stdout and stderr.</summary>
public static class CliRunner
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = Cli.Cli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
