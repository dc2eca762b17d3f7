using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Mirage.IO;

/// <summary>
/// Reads a CSV written by <see cref="Csv"/> back into records (positional records: constructor parameters matched to
/// snake_case column names). Problems are <see cref="UserError"/>s naming the file, line and column.
/// </summary>
public static class CsvReader
{
    public static List<T> Read<T>(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: file not found");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new UserError($"{path}: empty file, expected a CSV header");
        var header = SplitLine(lines[0]);
        var ctor = typeof(T).GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var ps = ctor.GetParameters();
        var columns = ps.Select(p =>
        {
            var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!);
            int i = Array.IndexOf(header, name);
            return i >= 0 ? i : throw new UserError($"{path}: column '{name}' missing from the header");
        }).ToArray();
        var rows = new List<T>(lines.Length - 1);
        for (int n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0) continue;
            var cells = SplitLine(lines[n]);
            if (cells.Length != header.Length) throw new UserError($"{path} line {n + 1}: {cells.Length} cells, expected {header.Length}");
            var args = new object?[ps.Length];
            for (int i = 0; i < ps.Length; i++) args[i] = Convert(cells[columns[i]], ps[i], path, n + 1);
            rows.Add((T)ctor.Invoke(args));
        }
        return rows;
    }

    static object? Convert(string cell, ParameterInfo p, string path, int line)
    {
        var t = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
        bool nullable = Nullable.GetUnderlyingType(p.ParameterType) is not null || !p.ParameterType.IsValueType;
        if (cell == "") return nullable ? (t == typeof(string) ? "" : null) : throw Bad();
        var ci = CultureInfo.InvariantCulture;
        if (t == typeof(string)) return cell;
        if (t == typeof(int) && int.TryParse(cell, NumberStyles.Integer, ci, out var i)) return i;
        if (t == typeof(double) && double.TryParse(cell, NumberStyles.Float, ci, out var d)) return d;
        throw Bad();
        UserError Bad() => new($"{path} line {line}: column {JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!)} has '{cell}', expected {(t == typeof(string) ? "text" : t == typeof(int) ? "an integer" : "a number")}");
    }

    static string[] SplitLine(string line)
    {
        if (!line.Contains('"')) return line.Split(',');
        var cells = new List<string>(); var cur = new System.Text.StringBuilder(); bool q = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (q) { if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; } else if (c == '"') q = false; else cur.Append(c); }
            else if (c == '"') q = true;
            else if (c == ',') { cells.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(c);
        }
        cells.Add(cur.ToString());
        return cells.ToArray();
    }
}
