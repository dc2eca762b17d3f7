using System.Runtime.InteropServices;
using Mirage.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Model;

/// <summary>
/// Tensors to and from safetensors files (the byte format and its checks: <see cref="SafetensorsFile"/>). Model
/// weights and optimizer state are stored this way, so Python reads them with <c>safetensors.torch.load_file</c>.
/// </summary>
public static class Safetensors
{
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsFile.Write(path, tensors.Select(kv => ToRaw(kv.Key, kv.Value)), metadata);

    static RawTensor ToRaw(string name, Tensor tensor)
    {
        var t = tensor.contiguous();
        try { return ToRaw(name, t, t.dtype); }
        // contiguous() may hand back the caller's own tensor: dispose only a copy.
        finally { if (!ReferenceEquals(t, tensor)) t.Dispose(); }
    }

    static RawTensor ToRaw(string name, Tensor t, ScalarType dtype)
    {
        var (code, bytes) = dtype switch
        {
            ScalarType.Float32 => ("F32", MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()).ToArray()),
            ScalarType.Float64 => ("F64", MemoryMarshal.AsBytes(t.data<double>().ToArray().AsSpan()).ToArray()),
            ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes(t.data<long>().ToArray().AsSpan()).ToArray()),
            ScalarType.Int32 => ("I32", MemoryMarshal.AsBytes(t.data<int>().ToArray().AsSpan()).ToArray()),
            _ => throw new ArgumentException($"safetensors: dtype {dtype} of '{name}' is not supported"),
        };
        return new RawTensor(name, code, t.shape, bytes);
    }

    /// <summary>Reads every tensor (caller disposes them) and the metadata map. Any defect is a <see cref="UserError"/> naming the file.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        var (raw, metadata) = SafetensorsFile.Read(path);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in raw)
            tensors[e.Name] = e.Dtype switch
            {
                "F32" => torch.tensor(MemoryMarshal.Cast<byte, float>(e.Data).ToArray(), e.Shape),
                "F64" => torch.tensor(MemoryMarshal.Cast<byte, double>(e.Data).ToArray(), e.Shape),
                "I64" => torch.tensor(MemoryMarshal.Cast<byte, long>(e.Data).ToArray(), e.Shape),
                _ => torch.tensor(MemoryMarshal.Cast<byte, int>(e.Data).ToArray(), e.Shape),
            };
        return (tensors, metadata);
    }
}
