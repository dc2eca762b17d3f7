using System.Reflection;
using TorchSharp;

namespace Mirage.Tests.Torch;

/// <summary>
/// TorchSharp turns a number passed where it wants a <see cref="Scalar"/> (<c>t.mul_(0.5)</c>, <c>t * 2</c>) into a
/// native scalar that only the finalizer frees. The temporary is unreachable once its handle is read, so a collection
/// on another thread can free it while libtorch is still reading it: a training crashed here with "Unknown scalar
/// type" in <c>mul_</c>. Mirage therefore creates every scalar explicitly and keeps it alive (<c>using var</c>, or a
/// field of a living object); this test reads the IL of both assemblies and names every implicit conversion left.
/// </summary>
public class ScalarLifetimeTests
{
    /// <summary>"Type.Method" of every method in <paramref name="assembly"/> that calls an implicit conversion to Scalar.</summary>
    static IEnumerable<string> ImplicitScalarCallers(Assembly assembly) =>
        IlCalls.Callers(assembly, callee => callee.DeclaringType == typeof(Scalar) && callee.Name == "op_Implicit");

    [Fact]
    public void Mirage_creates_no_scalar_that_only_the_finalizer_frees()
    {
        var callers = new[] { typeof(Mirage.Model.HookedTransformer).Assembly, typeof(Mirage.Cli.Cli).Assembly }
            .SelectMany(ImplicitScalarCallers).Distinct().Order().ToList();
        Assert.True(callers.Count == 0, "implicit Scalar conversions in:\n" + string.Join("\n", callers));
    }

    [Fact]
    public void The_scan_finds_an_implicit_conversion_where_there_is_one()
    {
        // This very class's helper below converts a double implicitly: the scan must see it, or it proves nothing.
        Assert.Contains(ImplicitScalarCallers(typeof(ScalarLifetimeTests).Assembly), c => c.EndsWith(nameof(ImplicitOnPurpose)));
    }

    static void ImplicitOnPurpose(torch.Tensor t) => t.mul_(0.5);
}
