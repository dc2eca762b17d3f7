using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Mirage.IO;

/// <summary>One JSON convention for every file Mirage writes: snake_case names (pandas/Python friendly), indented.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Compact variant for JSON Lines.</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void Save<T>(string path, T value) => AtomicFile.WriteAllText(path, Serialize(value) + "\n");

    /// <summary>Reads a JSON file; any problem becomes a one-line <see cref="UserError"/> naming the file (and field).</summary>
    public static T Load<T>(string path, string what = "JSON file") => Parse<T>(ReadText(path, what), path, what);

    /// <summary>
    /// Reads a config file a user wrote: like <see cref="Load{T}"/>, and every key must be one of the record's fields
    /// (<see cref="ConfigKeys"/>), so a misspelt key is an error instead of a silently kept default. The file is read
    /// once (it may be a pipe, as with <c>--config &lt;(...)</c>).
    /// </summary>
    public static T LoadConfig<T>(string path, string what)
    {
        var text = ReadText(path, what);
        var value = Parse<T>(text, path, what);
        using var doc = JsonDocument.Parse(text);
        ConfigKeys.Check(typeof(T), doc.RootElement, path);
        return value;
    }

    /// <summary>
    /// Like <see cref="LoadConfig{T}"/> (types, values and keys checked), but returns the document, for a file whose
    /// sections <see cref="Overlay{T}"/> defaults that are not the records' own (a task's training defaults).
    /// </summary>
    public static JsonElement LoadConfigDocument<T>(string path, string what)
    {
        var text = ReadText(path, what);
        Parse<T>(text, path, what);
        using var doc = JsonDocument.Parse(text);
        ConfigKeys.Check(typeof(T), doc.RootElement, path);
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// <paramref name="defaults"/> with the fields that <paramref name="section"/> of a config document names replaced:
    /// a section giving only <c>steps</c> keeps every other default of the task, not the record's own.
    /// </summary>
    public static T Overlay<T>(T defaults, JsonElement document, string section, string source)
    {
        if (!document.TryGetProperty(section, out var given) || given.ValueKind == JsonValueKind.Null) return defaults;
        var merged = JsonSerializer.SerializeToNode(defaults, Options)!.AsObject();
        foreach (var field in given.EnumerateObject()) merged[field.Name] = JsonNode.Parse(field.Value.GetRawText());
        return Parse<T>(merged.ToJsonString(Options), source);
    }

    static string ReadText(string path, string what)
    {
        try { return File.ReadAllText(path); }
        catch (FileNotFoundException) { throw new UserError($"{path}: {what} not found"); }
        catch (DirectoryNotFoundException) { throw new UserError($"{path}: {what} not found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(path)) throw new UserError($"{path}: is a directory; expected a {what} file");
            throw new FileSystemError($"{path}: cannot read {what} ({FileSystemMessage.Reason(e)})", e);
        }
    }

    public static T Parse<T>(string text, string source, string what = "JSON")
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text, Options) ?? throw new UserError($"{source}: expected a {what}, found null");
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 0 } p && p != "$" ? $" at field {p.TrimStart('$', '.')}" : "";
            throw new UserError($"{source}: invalid {what}{where}: {FirstLine(e.Message)}");
        }
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
