using Mirage.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Tests.Torch;

/// <summary>
/// MKL's vector maths must make its first calls on one thread (VectorMath says why). Whether its set-up raced cannot be
/// seen from inside a process — scripts/repeat-train.sh counts distinct results over many — so these tests hold what
/// can be: Init makes the warm-up, and the warm-up leaves libtorch's results as they were.
/// </summary>
public class VectorMathTests
{
    [Fact]
    public void Init_warms_MKLs_vector_maths_up()
    {
        TorchRuntime.Init();
        Assert.True(VectorMath.WarmedUp, "TorchRuntime.Init should call VectorMath.WarmUp before any other work");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void After_the_warm_up_a_square_root_split_over_two_threads_is_exact(ScalarType dtype)
    {
        TorchRuntime.Init(2);
        using var scope = torch.NewDisposeScope();
        // 8,192 values, which libtorch splits over the 2 threads (grain 2,048), each the square of a whole number up to
        // 4,096, exact in float32: the root is known, and VML's low accuracy (the race's symptom) misses most of them.
        using var k = 4096.ToScalar();
        using var one = 1.ToScalar();
        var roots = torch.arange(0, 8192, dtype: dtype).remainder(k).add_(one);
        Assert.Equal(0, (roots * roots).sqrt().ne(roots).sum().item<long>());
    }
}
