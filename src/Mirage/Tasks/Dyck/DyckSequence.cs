using System.Text;

namespace Mirage.Tasks.Dyck;

/// <summary>
/// A Dyck string in compact form: opener of type i is <c>i + 1</c>, its closer <c>-(i + 1)</c>.
/// <see cref="Key"/> is a string with one char per token, for fast set membership ("is it in train?").
/// </summary>
public sealed class DyckSequence
{
    public short[] Tokens { get; }
    public int MaxDepth { get; }

    public DyckSequence(short[] tokens)
    {
        Tokens = tokens;
        int d = 0, m = 0;
        foreach (var t in tokens) { d += t > 0 ? 1 : -1; if (d > m) m = d; }
        MaxDepth = m;
    }

    public int Length => Tokens.Length;

    public string Key => string.Create(Tokens.Length, Tokens, (span, toks) => { for (int i = 0; i < toks.Length; i++) span[i] = (char)(toks[i] + 0x4000); });

    /// <summary>
    /// The top-level components' shapes (bracket types erased), cut wherever the stack empties: <c>(3 (7 )7 )3 (1 )1</c>
    /// has shapes <c>(())</c> and <c>()</c>.
    /// </summary>
    public IEnumerable<string> ComponentShapes()
    {
        var sb = new StringBuilder();
        int d = 0;
        foreach (var t in Tokens)
        {
            sb.Append(t > 0 ? '(' : ')');
            d += t > 0 ? 1 : -1;
            if (d == 0) { yield return sb.ToString(); sb.Clear(); }
        }
    }

    /// <summary>The structure signature: component shapes joined by <c>|</c>.</summary>
    public string Structure => string.Join('|', ComponentShapes());

    public static string TokenName(short t) => t > 0 ? $"({t - 1}" : $"){-t - 1}";
}
