using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Mirage.IO;

/// <summary>One tensor of a safetensors file as raw little-endian bytes: its name, dtype code (F32, F64, I64, I32), shape and data.</summary>
public sealed record RawTensor(string Name, string Dtype, long[] Shape, byte[] Data)
{
    public static readonly IReadOnlyDictionary<string, int> ElementSize = new Dictionary<string, int> { ["F32"] = 4, ["F64"] = 8, ["I64"] = 8, ["I32"] = 4 };

    public float[] AsFloats() => Dtype == "F32" ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Data).ToArray()
        : throw new InvalidOperationException($"tensor '{Name}' is {Dtype}, not F32");
}

/// <summary>
/// The safetensors format without libtorch (an 8-byte little-endian header size N, N bytes of JSON mapping each tensor
/// name to {dtype, shape, data_offsets}, plus an optional "__metadata__" string map, then the raw data): files that
/// Python reads with <c>safetensors.numpy.load_file</c> or <c>safetensors.torch.load_file</c>. The reader checks the whole
/// header against the file before reading any tensor — sizes, dtypes, shapes, offsets inside the data region and not
/// overlapping — so a truncated or corrupt file is a clear error, not garbage numbers.
/// </summary>
public static class SafetensorsFile
{
    const long MaxHeader = 100 << 20;

    /// <summary>Writes the tensors in name order (so the same tensors always give the same bytes), atomically.</summary>
    public static void Write(string path, IEnumerable<RawTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var t in sorted)
        {
            header[t.Name] = new { dtype = t.Dtype, shape = t.Shape, data_offsets = new[] { offset, offset + t.Data.Length } };
            offset += t.Data.Length;
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
            foreach (var t in sorted) s.Write(t.Data);
        });
    }

    /// <summary>Reads every tensor and the metadata map. Any defect is a <see cref="UserError"/> naming the file.</summary>
    public static (List<RawTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw new UserError($"{path}: file not found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new FileSystemError($"{path}: cannot read ({FileSystemMessage.Reason(e)})", e); }

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

        var entries = new List<(string Name, string Dtype, long[] Shape, long Begin, long End)>();
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
            if (dt.ValueKind != JsonValueKind.String || !RawTensor.ElementSize.TryGetValue(dt.GetString()!, out var size))
                throw new UserError(Bad($"tensor '{p.Name}' has dtype {dt}, expected one of {string.Join(", ", RawTensor.ElementSize.Keys)}"));
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
            if (end - begin != count * size)
                throw new UserError(Bad($"tensor '{p.Name}' has shape [{string.Join(", ", shape)}] ({count * size} bytes) but data_offsets span {end - begin} bytes"));
            entries.Add((p.Name, dt.GetString()!, shape, begin, end));
        }
        var sorted = entries.OrderBy(x => x.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End) throw new UserError(Bad($"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap"));
        var tensors = entries.Select(e => new RawTensor(e.Name, e.Dtype, e.Shape, file.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin)).ToArray())).ToList();
        return (tensors, metadata);
    }
}
