using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Mirage.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Model;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte little-endian header size N, N bytes of JSON mapping each
/// tensor name to {dtype, shape, data_offsets}, plus an optional "__metadata__" string map, then the raw data).
/// The reader checks the whole header against the file before reading any tensor — sizes, dtypes, shapes, offsets
/// inside the data region and not overlapping — so a truncated or corrupt file is a clear error, not garbage weights.
/// </summary>
public static class Safetensors
{
    const long MaxHeader = 100 << 20;

    static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F32"] = (ScalarType.Float32, 4), ["F64"] = (ScalarType.Float64, 8), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
    };

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        var blobs = new List<byte[]>();
        foreach (var name in names)
        {
            var t = tensors[name].contiguous();
            var (code, bytes) = t.dtype switch
            {
                ScalarType.Float32 => ("F32", MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()).ToArray()),
                ScalarType.Float64 => ("F64", MemoryMarshal.AsBytes(t.data<double>().ToArray().AsSpan()).ToArray()),
                ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes(t.data<long>().ToArray().AsSpan()).ToArray()),
                ScalarType.Int32 => ("I32", MemoryMarshal.AsBytes(t.data<int>().ToArray().AsSpan()).ToArray()),
                _ => throw new ArgumentException($"safetensors: dtype {t.dtype} of '{name}' is not supported"),
            };
            header[name] = new { dtype = code, shape = t.shape, data_offsets = new[] { offset, offset + bytes.Length } };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        // Pad the header with spaces to 8 bytes so the data is aligned, as the reference implementation does.
        int pad = (8 - json.Length % 8) % 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
            s.Write(len);
            s.Write(json);
            for (int i = 0; i < pad; i++) s.WriteByte((byte)' ');
            foreach (var b in blobs) s.Write(b);
        });
    }

    /// <summary>Reads every tensor (caller disposes them) and the metadata map. Any defect is a <see cref="UserError"/> naming the file.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw new UserError($"{path}: file not found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UserError($"{path}: cannot read ({e.Message})"); }

        string Bad(string what) => $"{path}: not a valid safetensors file: {what}";
        if (file.Length < 8) throw new UserError(Bad($"{file.Length} bytes, too short for the 8-byte header size"));
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (n > MaxHeader || (long)n > file.Length - 8) throw new UserError(Bad($"header size {n} does not fit in a {file.Length}-byte file"));
        long dataStart = 8 + (long)n, dataLen = file.Length - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(file.AsMemory(8, (int)n)); }
        catch (JsonException e) { throw new UserError(Bad($"header is not JSON ({e.Message.Split('\n')[0]})")); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new UserError(Bad("header is not a JSON object"));

        var entries = new List<(string Name, ScalarType Type, int Size, long[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                if (p.Value.ValueKind != JsonValueKind.Object) throw new UserError(Bad("__metadata__ is not an object"));
                foreach (var m in p.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new UserError(Bad($"__metadata__.{m.Name} is not a string"));
                continue;
            }
            var e = p.Value;
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("dtype", out var dt) || !e.TryGetProperty("shape", out var sh) || !e.TryGetProperty("data_offsets", out var off))
                throw new UserError(Bad($"entry '{p.Name}' needs dtype, shape and data_offsets"));
            if (dt.ValueKind != JsonValueKind.String || !DTypes.TryGetValue(dt.GetString()!, out var type))
                throw new UserError(Bad($"tensor '{p.Name}' has dtype {dt}, expected one of {string.Join(", ", DTypes.Keys)}"));
            long[] shape; long begin, end;
            try
            {
                shape = sh.EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var o = off.EnumerateArray().Select(x => x.GetInt64()).ToArray();
                if (o.Length != 2) throw new InvalidOperationException();
                (begin, end) = (o[0], o[1]);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            { throw new UserError(Bad($"tensor '{p.Name}': shape and data_offsets must be arrays of integers (offsets: two)")); }
            if (shape.Any(x => x < 0)) throw new UserError(Bad($"tensor '{p.Name}' has a negative dimension"));
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (begin < 0 || end < begin || end > dataLen)
                throw new UserError(Bad($"tensor '{p.Name}' data_offsets [{begin}, {end}] fall outside the {dataLen}-byte data region (file truncated?)"));
            if (end - begin != count * type.Size)
                throw new UserError(Bad($"tensor '{p.Name}' has shape [{string.Join(", ", shape)}] ({count * type.Size} bytes) but data_offsets span {end - begin} bytes"));
            entries.Add((p.Name, type.Type, type.Size, shape, begin, end));
        }
        var sorted = entries.OrderBy(x => x.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End) throw new UserError(Bad($"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap"));

        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in entries)
        {
            var bytes = file.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin));
            tensors[e.Name] = e.Type switch
            {
                ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), e.Shape),
                ScalarType.Float64 => torch.tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), e.Shape),
                ScalarType.Int64 => torch.tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), e.Shape),
                _ => torch.tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), e.Shape),
            };
        }
        return (tensors, metadata);
    }
}
