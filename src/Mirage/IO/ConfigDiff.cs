namespace Mirage.IO;

/// <summary>Field-by-field differences between two config records (for "checkpoint disagrees with the command line").</summary>
public static class ConfigDiff
{
    public static IEnumerable<(string Field, string Had, string Want)> Fields<T>(T had, T want, string prefix)
    {
        var a = System.Text.Json.JsonSerializer.SerializeToElement(had, Json.Options);
        var b = System.Text.Json.JsonSerializer.SerializeToElement(want, Json.Options);
        foreach (var p in a.EnumerateObject())
        {
            var other = b.GetProperty(p.Name);
            if (p.Value.GetRawText() != other.GetRawText()) yield return ($"{prefix}.{p.Name}", p.Value.GetRawText(), other.GetRawText());
        }
    }
}
