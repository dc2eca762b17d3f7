namespace Mirage.Tests.Hostile;

/// <summary>What every refused command must look like from the outside.</summary>
public static class HostileAssert
{
    /// <summary>The exit code, exactly one line on stderr containing every mention, and no stack trace anywhere.</summary>
    public static void OneLineError(int code, string stdout, string stderr, int exit, IEnumerable<string> mentions)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(code == exit, $"exit {code}, expected {exit}; stderr: {stderr}; stdout: {stdout}");
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}: {stderr}");
        foreach (var m in mentions) Assert.True(lines[0].Contains(m, StringComparison.Ordinal), $"stderr does not mention '{m}': {lines[0]}");
        NoStackTrace(stdout + stderr);
    }

    public static void NoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("internal error", output);
    }
}
