using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Native;

/// <summary>
/// MKL's vector maths, set up on one thread before any work runs on two.
/// <para>
/// libtorch hands sqrt, exp, log and a few other functions on float tensors to MKL's vector maths library (VML), in
/// chunks of 2,048 elements or more per thread, asking for its high accuracy. A process whose first VML calls run on
/// two threads at once sometimes gets one thread's chunk at VML's low ("enhanced performance") accuracy, about 11
/// correct bits: a race in how MKL sets VML up on first use. That was the rare training that parted from its twins:
/// the first AdamW step's square root of the second moments, in the second thread's half of the flat buffer, with
/// relative errors up to 2.4e-4 instead of none (the later steps' were exact). Measured with 12-step trainings of a tiny
/// model beside three busy loops: 8 of 541 processes took that first step differently, and none of 240 whose first VML
/// call was a one-thread one made before any other (docs/reproducibility.md).
/// </para>
/// So <see cref="TorchRuntime.Init"/> calls <see cref="WarmUp"/> before anything else runs. (Going around VML is not
/// an option: libtorch's sqrt, and pow with exponent ½, both end in VML's square root.)
/// </summary>
public static class VectorMath
{
    /// <summary>
    /// The functions libtorch may hand to VML when MKL is there (ATen's vml.h), each in float32 and float64, on 16 elements
    /// — far below the 2,048 at which libtorch splits work over threads — so this thread alone makes the first call of
    /// each. Which first call matters is not known (the race is inside MKL), so every one of them is made here.
    /// </summary>
    public static void WarmUp()
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            // Values in (0, 1): inside the domain of every function below (acos, asin, log, erfinv...).
            var x = torch.linspace(0.1, 0.9, 16, dtype);
            foreach (var f in Functions) f(x);
        }
        WarmedUp = true;
    }

    /// <summary>Whether this process has made the warm-up calls (<see cref="TorchRuntime.Init"/> makes them).</summary>
    public static bool WarmedUp { get; private set; }

    static readonly Func<Tensor, Tensor>[] Functions =
    [
        t => t.abs(), t => t.acos(), t => t.asin(), t => t.atan(), t => t.cos(), t => t.erf(), t => t.erfc(),
        t => t.erfinv(), t => t.exp(), t => t.expm1(), t => t.log(), t => t.log10(), t => t.log1p(), t => t.log2(),
        t => t.sin(), t => t.sqrt(), t => t.tan(), t => t.tanh(), t => t.trunc(),
    ];
}
