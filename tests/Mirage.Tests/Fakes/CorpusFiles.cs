using System.Text;

namespace Mirage.Tests.Fakes;

/// <summary>
/// Small source files for tests of the code task: Python-like text for the training corpus and Java-like text for the
/// language shift, each a function of its index so that every test builds the same corpus.
/// </summary>
public static class CorpusFiles
{
    /// <summary>Writes <paramref name="text"/> at <paramref name="path"/>, creating its directory; with CRLF line ends if asked.</summary>
    public static void Write(string path, string text, bool crlf = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, crlf ? text.Replace("\n", "\r\n") : text);
    }

    /// <summary>Python-like text with depth 0, 1, 2 and (every third block) 4 nesting; never ';' or '@'.</summary>
    public static string PyFile(int i)
    {
        var sb = new StringBuilder();
        for (int k = 0; k < 10; k++)
        {
            sb.Append($"def func_{i}_{k}(alpha, beta):\n    value = alpha + beta * {k}\n");
            sb.Append("    return compute(value, [beta])\n");
            if ((i + k) % 3 == 0) sb.Append("    data = {'k': [(1, 2), (3, (4, 5))]}\n");
        }
        return sb.ToString();
    }

    /// <summary>A Java-like class of twelve one-line methods, each with an annotation ('@' and ';' are Java-only characters).</summary>
    public static string JavaFile(int i)
    {
        var sb = new StringBuilder($"package demo;\n\npublic class Cls{i} {{\n");
        for (int k = 0; k < 12; k++) sb.Append($"    @Override\n    public int m{k}(int x) {{ return x * {k}; }}\n");
        return sb.Append("}\n").ToString();
    }
}
