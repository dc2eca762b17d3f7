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

    /// <summary>
    /// Refuses a floating-point tensor holding NaN or infinity: a model with such weights still runs, and every proxy of
    /// it would look perfectly "faithful" to its broken outputs.
    /// </summary>
    public static void CheckFinite(Tensor t, string name, string source)
    {
        if (!t.is_floating_point()) return;
        using var _ = torch.no_grad();
        using var bad = torch.isfinite(t).logical_not_().sum();
        long n = bad.item<long>();
        if (n > 0) throw new UserError($"{source}: tensor '{name}' holds {n} non-finite value(s) (NaN or infinity); the checkpoint is corrupt or its training diverged");
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
