using System.Reflection;
using System.Reflection.Emit;

namespace Mirage.Tests.Torch;

/// <summary>Reads the IL of an assembly's methods for the calls they make: what a source search cannot see reliably
/// (implicit conversions, overloads, extension methods).</summary>
static class IlCalls
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

    /// <summary>"Type.Method" of every method (lambdas included, under their compiler-made names) in
    /// <paramref name="assembly"/> that calls a method <paramref name="matches"/> accepts.</summary>
    public static IEnumerable<string> Callers(Assembly assembly, Func<MethodBase, bool> matches)
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
                    if (callee is not null && matches(callee)) yield return $"{type.FullName}.{method.Name}";
                }
                i += OperandSize(op, il, i);
            }
        }
    }
}
