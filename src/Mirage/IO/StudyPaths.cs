namespace Mirage.IO;

/// <summary>
/// How an output names the files it was made from. Paths are written relative to the directory that holds the
/// output (for <c>mirage reproduce</c>, the study directory: <c>runs/seed0</c>, <c>data</c>), with forward slashes,
/// so two identical studies in different directories write identical bytes and a study directory can be moved.
/// </summary>
public static class StudyPaths
{
    /// <summary><paramref name="path"/> as seen from the parent of <paramref name="output"/>.</summary>
    public static string Relative(string output, string path)
    {
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(output)) ?? Path.GetFullPath(output);
        return Path.GetRelativePath(baseDir, Path.GetFullPath(path)).Replace('\\', '/');
    }
}
