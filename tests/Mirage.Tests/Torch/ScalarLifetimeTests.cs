using System.Reflection;
using System.Reflection.Emit;
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
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };

    /// <summary>"Type.Method" of every method in <paramref name="assembly"/> that calls an implicit conversion to Scalar.</summary>
    static IEnumerable<string> ImplicitScalarCallers(Assembly assembly)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetTypes())
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null) continue;
            for (int i = 0; i < il.Length;)
            {
                short code = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
                var op = OpCodesByValue[code];
                i += op.Size;
                if (op.OperandType == OperandType.InlineMethod)
                {
                    var callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i),
                        type.IsGenericType ? type.GetGenericArguments() : null, method.IsGenericMethod ? method.GetGenericArguments() : null);
                    if (callee?.DeclaringType == typeof(Scalar) && callee.Name == "op_Implicit")
                        yield return $"{type.FullName}.{method.Name}";
                }
                i += OperandSize(op, il, i);
            }
        }
    }

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
