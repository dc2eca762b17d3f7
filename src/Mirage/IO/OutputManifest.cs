using System.Text.Json;

namespace Mirage.IO;

/// <summary>
/// Reads the field of a directory's <c>manifest.json</c> that says which command wrote it. Never throws: a missing or
/// unreadable manifest simply recognises nothing, and the directory is then treated as the user's.
/// </summary>
public static class OutputManifest
{
    public const string File = "manifest.json";

    /// <summary>The string value of <paramref name="field"/> in DIR/manifest.json, or null.</summary>
    public static string? Field(string dir, string field) =>
        Read(dir, field, v => v.ValueKind == JsonValueKind.String ? v.GetString() : null);

    /// <summary>
    /// The strings of the array <paramref name="field"/> in DIR/manifest.json — or, with <paramref name="itemField"/>,
    /// that field of each object in the array — or null when it has none.
    /// </summary>
    public static IReadOnlyList<string>? Strings(string dir, string field, string? itemField = null) =>
        Read<IReadOnlyList<string>>(dir, field, v =>
        {
            if (v.ValueKind != JsonValueKind.Array) return null;
            var items = itemField is null ? v.EnumerateArray()
                : v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty(itemField, out _)).Select(x => x.GetProperty(itemField));
            return items.Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList();
        });

    /// <summary><paramref name="pick"/> applied to <paramref name="field"/> of DIR/manifest.json; null when there is no such field, file or JSON object.</summary>
    static T? Read<T>(string dir, string field, Func<JsonElement, T?> pick) where T : class
    {
        try
        {
            var path = Path.Combine(dir, File);
            if (!System.IO.File.Exists(path)) return null;
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(field, out var v) ? pick(v) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    /// <summary>The command DIR/manifest.json names in its "created_by" field.</summary>
    public static string? CreatedBy(string dir) => Field(dir, "created_by");
}
