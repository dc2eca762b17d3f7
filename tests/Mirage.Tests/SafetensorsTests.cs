using System.Buffers.Binary;
using System.Text;
using Mirage.Model;
using Mirage.Native;
using TorchSharp;

namespace Mirage.Tests;

public class SafetensorsTests : TempDirectoryTests
{
    string Write(string header, byte[] data)
    {
        var path = Path.Combine(Dir, Guid.NewGuid() + ".safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)h.Length);
        File.WriteAllBytes(path, [.. len, .. h, .. data]);
        return path;
    }

    [Fact]
    public void Round_trip_is_bitwise_equal_and_keeps_metadata()
    {
        TorchRuntime.Init();
        torch.manual_seed(0);
        var path = Path.Combine(Dir, "a.safetensors");
        var t = new Dictionary<string, torch.Tensor> { ["w"] = torch.randn(3, 4), ["b"] = torch.randn(5, dtype: torch.float64), ["i"] = torch.arange(7L) };
        Safetensors.Save(path, t, new Dictionary<string, string> { ["format"] = "pt" });
        var (back, meta) = Safetensors.Load(path);
        Assert.Equal("pt", meta["format"]);
        Assert.Equal(t["w"].data<float>().ToArray(), back["w"].data<float>().ToArray());
        Assert.Equal(new long[] { 3, 4 }, back["w"].shape);
        Assert.Equal(t["b"].data<double>().ToArray(), back["b"].data<double>().ToArray());
        Assert.Equal(t["i"].data<long>().ToArray(), back["i"].data<long>().ToArray());
        // Header length is a multiple of 8 (aligned data), as safetensors writers do.
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path)) % 8);
    }

    [Fact]
    public void Truncated_file_is_rejected_naming_the_file()
    {
        TorchRuntime.Init();
        var path = Path.Combine(Dir, "t.safetensors");
        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["w"] = torch.ones(10, 10) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 17)]);
        var e = Assert.Throws<UserError>(() => Safetensors.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("outside", e.Message);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("too short", Assert.Throws<UserError>(() => Safetensors.Load(path)).Message);
    }

    [Theory]
    [InlineData("{not json", "", "not JSON")]
    [InlineData("{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", "abcd", "dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "abcd", "shape [2]")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "abcd", "outside")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", "abcdefgh", "overlap")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "abcd", "data_offsets")]
    public void Corrupt_headers_are_rejected_before_reading(string header, string data, string expected)
    {
        TorchRuntime.Init();
        var path = Write(header, Encoding.ASCII.GetBytes(data));
        var e = Assert.Throws<UserError>(() => Safetensors.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void Header_size_larger_than_the_file_is_rejected()
    {
        var path = Path.Combine(Dir, "h.safetensors");
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, 1_000_000);
        File.WriteAllBytes(path, [.. len, .. "{}"u8.ToArray()]);
        Assert.Contains("does not fit", Assert.Throws<UserError>(() => Safetensors.Load(path)).Message);
    }
}
