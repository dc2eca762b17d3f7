using System.Reflection;
using Mirage.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Tests.Torch;

/// <summary>
/// The optimizer and k-means take square roots through <see cref="VectorMath.Sqrt"/>, which stays off MKL's vector
/// maths (whose first calls in a process can race, see VectorMath): these tests check it gives the very bits
/// libtorch's sqrt gives, so the change moved no result, and that no other square root is left in Mirage.
/// </summary>
public class VectorMathTests
{
    const int N = 1 << 20;

    /// <summary>Random bit patterns of every non-negative finite value (zero and subnormals included), seeded.</summary>
    static Tensor RandomFloats(ScalarType dtype, int seed)
    {
        var rng = new Random(seed);
        if (dtype == ScalarType.Float32)
            return torch.tensor(Enumerable.Range(0, N).Select(i => i < 64 ? i * 0.25f : BitConverter.Int32BitsToSingle(rng.Next(0, 0x7F800000))).ToArray());
        return torch.tensor(Enumerable.Range(0, N).Select(i => i < 64 ? i * 0.25 : BitConverter.Int64BitsToDouble(rng.NextInt64(0, 0x7FF0000000000000))).ToArray());
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Sqrt_gives_the_bits_of_libtorchs_sqrt(ScalarType dtype)
    {
        TorchRuntime.Init();
        using var scope = torch.NewDisposeScope();
        var x = RandomFloats(dtype, 20261127);
        var expected = x.sqrt();
        Assert.Equal(0, VectorMath.Sqrt(x).ne(expected).sum().item<long>());
        // In place, and on a view that starts one element in (another alignment).
        var copy = x.clone();
        Assert.Same(copy, VectorMath.Sqrt_(copy));
        Assert.Equal(0, copy.ne(expected).sum().item<long>());
        Assert.Equal(0, VectorMath.Sqrt(x.narrow(0, 1, N - 1)).ne(expected.narrow(0, 1, N - 1)).sum().item<long>());
    }

    static bool IsSqrt(MethodBase callee) => callee.DeclaringType?.Namespace == "TorchSharp" && callee.Name is "sqrt" or "sqrt_";

    [Fact]
    public void No_square_root_in_Mirage_goes_around_VectorMath()
    {
        var callers = new[] { typeof(VectorMath).Assembly, typeof(Mirage.Cli.Cli).Assembly }
            .SelectMany(a => IlCalls.Callers(a, IsSqrt))
            .Where(c => !c.StartsWith(typeof(VectorMath).FullName!)).Distinct().Order().ToList();
        Assert.True(callers.Count == 0, "square roots outside VectorMath (use VectorMath.Sqrt):\n" + string.Join("\n", callers));
    }

    [Fact]
    public void The_scan_sees_the_square_root_VectorMath_warms_up()
    {
        // WarmUp's list calls sqrt on purpose: the scan must find it there, or the test above proves nothing.
        Assert.Contains(IlCalls.Callers(typeof(VectorMath).Assembly, IsSqrt), c => c.StartsWith(typeof(VectorMath).FullName!));
    }
}
