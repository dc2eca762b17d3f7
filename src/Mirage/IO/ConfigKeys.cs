using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mirage.IO;

/// <summary>
/// A user's <c>--config</c> file means what it says: every key must be a field of the config record (snake_case, as
/// Mirage writes them), at every level of nesting; an unknown or misspelt key is an error naming the key, the file and
/// the closest valid key. (System.Text.Json's own unmapped-member check names the .NET type, not the valid keys.)
/// Only for configs a user writes: Mirage's own manifests and checkpoints are read as before.
/// </summary>
public static class ConfigKeys
{
    public static void Check(Type type, JsonElement element, string path, string prefix = "")
    {
        if (element.ValueKind != JsonValueKind.Object) return;   // a wrong type is the deserializer's message
        var fields = Fields(type);
        foreach (var p in element.EnumerateObject())
        {
            var key = prefix + p.Name;
            if (!fields.TryGetValue(p.Name, out var prop))
            {
                var hint = Closest(p.Name, fields.Keys) is string c ? $"did you mean \"{prefix}{c}\"? " : "";
                throw new UserError($"{path}: unknown key \"{key}\"; {hint}valid keys{(prefix == "" ? "" : $" of {prefix.TrimEnd('.')}")}: {string.Join(", ", fields.Keys)}");
            }
            if (prop.GetCustomAttribute<NotSettableAttribute>() is { } no) throw new UserError($"{path}: key \"{key}\" cannot be set: it {no.Why}; remove it");
            var t = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            if (IsRecord(t)) Check(t, p.Value, path, key + ".");
        }
    }

    /// <summary>snake_case key → property, for every public property the JSON reader would set.</summary>
    static Dictionary<string, PropertyInfo> Fields(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetIndexParameters().Length == 0 && (p.CanWrite || p.SetMethod is not null))
            .ToDictionary(p => Json.Options.PropertyNamingPolicy!.ConvertName(p.Name), p => p);

    /// <summary>Config sections Mirage defines (records with settable properties), as opposed to values and lists.</summary>
    static bool IsRecord(Type t) => t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("Mirage", StringComparison.Ordinal) == true;

    /// <summary>The valid key nearest to <paramref name="key"/>: equal ignoring case and underscores, else within a few edits.</summary>
    public static string? Closest(string key, IEnumerable<string> valid)
    {
        static string Norm(string s) => s.Replace("_", "").Replace("-", "").ToLowerInvariant();
        var list = valid.ToList();
        if (list.FirstOrDefault(v => Norm(v) == Norm(key)) is string same) return same;
        // An abbreviation by initials: "lr" for learning_rate.
        if (list.FirstOrDefault(v => v.Contains('_') && string.Concat(v.Split('_').Select(w => w[0])) == key.ToLowerInvariant()) is string initials) return initials;
        var best = list.Select(v => (v, d: Levenshtein(Norm(key), Norm(v)))).OrderBy(x => x.d).ThenBy(x => x.v, StringComparer.Ordinal).FirstOrDefault();
        return best.v is not null && best.d <= Math.Max(2, key.Length / 3) ? best.v : null;
    }

    static int Levenshtein(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}
