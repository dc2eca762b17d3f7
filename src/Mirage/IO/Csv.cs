using System.Globalization;
using System.Text;

namespace Mirage.IO;

/// <summary>
/// Writes records as CSV for pandas: a header of snake_case names, invariant-culture numbers (round-trip precision),
/// empty cells for nulls, quotes only where needed.
/// </summary>
public static class Csv
{
    public static string Write<T>(IEnumerable<T> rows)
    {
        var props = typeof(T).GetProperties().Where(p => p.GetIndexParameters().Length == 0).ToArray();
        var sb = new StringBuilder();
        sb.AppendJoin(',', props.Select(p => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name))).Append('\n');
        foreach (var r in rows)
        {
            for (int i = 0; i < props.Length; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(Cell(props[i].GetValue(r)));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static void Save<T>(string path, IEnumerable<T> rows) => AtomicFile.WriteAllText(path, Write(rows));

    static string Cell(object? v) => v switch
    {
        null => "",
        double d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "",
        float f => float.IsFinite(f) ? f.ToString("R", CultureInfo.InvariantCulture) : "",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        string s when s.IndexOfAny([',', '"', '\n']) >= 0 => "\"" + s.Replace("\"", "\"\"") + "\"",
        _ => v.ToString() ?? "",
    };
}
