using Mirage.IO;

namespace Mirage.Tasks;

/// <summary>A split file of a data directory, checked against the sha256 its manifest records.</summary>
public static class SplitFile
{
    /// <summary>The path of DIR/FILE after checking it exists and holds exactly what the manifest says.</summary>
    public static string Check(string dir, string manifestFile, string file, string sha256)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) throw new UserError($"{path}: split file missing (listed in {manifestFile})");
        var sha = Sha256.OfFile(path);
        if (sha != sha256) throw new UserError($"{path}: sha256 {sha[..12]}… does not match the manifest's {sha256[..Math.Min(12, sha256.Length)]}… (file changed, truncated or corrupt)");
        return path;
    }
}
