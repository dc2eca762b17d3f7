namespace Mirage.Cli.Display;

/// <summary>Column headers that survive a narrow terminal.</summary>
public static class ColumnHeader
{
    /// <summary>
    /// A split's name broken after its underscores into lines of at most <paramref name="width"/> characters
    /// (<c>unseen_structure_short</c> → <c>unseen_ / structure_ / short</c>). On one line, an 80-column table cuts such
    /// names to "unseen_struc…", and the short and long unseen-structure splits could no longer be told apart.
    /// </summary>
    public static string Split(string name, int width = 10)
    {
        var lines = new List<string>();
        string line = "";
        var parts = name.Split('_');
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i] + (i < parts.Length - 1 ? "_" : "");
            if (line.Length > 0 && line.Length + part.Length > width) { lines.Add(line); line = ""; }
            line += part;
        }
        lines.Add(line);
        return string.Join("\n", lines);
    }
}
