namespace Mirage.Tasks;

/// <summary>The checks every task's manifest.json starts with: which task wrote it, and in which format version.</summary>
public static class ManifestHeader
{
    public const int FormatVersion = 1;

    public static void Check(string path, string task, int formatVersion, string expectedTask)
    {
        if (task != expectedTask) throw new UserError($"{path}: task is '{task}', expected '{expectedTask}'");
        if (formatVersion != FormatVersion) throw new UserError($"{path}: format_version {formatVersion} is not supported (expected {FormatVersion})");
    }
}
