using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Mirage.Tests;

/// <summary>
/// Imports run one way: no namespace of Mirage (the library) or of the CLI depends, directly or through others, on a
/// namespace that depends on it. Read from the sources, because a const (e.g. a category name) is copied into the
/// caller's IL and would leave no trace of the dependency in the assembly. A type counts as used by a file when its
/// name appears in the file's code (comments, strings and using/namespace lines removed); the few top-level type names
/// declared in two namespaces are ambiguous and left out.
/// </summary>
public partial class ArchitectureTests
{
    static string RepoRoot([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)] private static partial Regex Namespace();
    [GeneratedRegex(@"^(?:public |internal )?(?:static |sealed |abstract |readonly |partial )*(?:class|record|struct|interface|enum)\s+(?:struct\s+|class\s+)?(\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();
    [GeneratedRegex(@"^(?:namespace|using) .*$", RegexOptions.Multiline)] private static partial Regex NamespaceOrUsingLine();
    [GeneratedRegex(@"/\*.*?\*/|//[^\n]*|@?""(?:[^""\\]|\\.)*""", RegexOptions.Singleline)] private static partial Regex CommentOrString();
    [GeneratedRegex(@"\b[A-Z]\w*\b")] private static partial Regex Identifier();

    /// <summary>namespace → (namespace it uses → "file: Type" evidence), over the given sources (path, text).</summary>
    public static Dictionary<string, SortedDictionary<string, SortedSet<string>>> Dependencies(IReadOnlyList<(string Path, string Text)> sources)
    {
        var declared = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);   // type name → namespaces declaring it
        var ns = sources.ToDictionary(s => s.Path, s => Namespace().Match(s.Text) is { Success: true } m ? m.Groups[1].Value : "");
        foreach (var (path, text) in sources)
        foreach (Match m in TopLevelType().Matches(text))
            (declared.TryGetValue(m.Groups[1].Value, out var set) ? set : declared[m.Groups[1].Value] = new()).Add(ns[path]);
        var graph = new Dictionary<string, SortedDictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        foreach (var (path, text) in sources)
        {
            var code = CommentOrString().Replace(NamespaceOrUsingLine().Replace(text, ""), "");
            foreach (var name in Identifier().Matches(code).Select(m => m.Value).Distinct())
            {
                if (!declared.TryGetValue(name, out var owners) || owners.Count != 1) continue;
                var to = owners.Single();
                if (to == ns[path]) continue;
                var edges = graph.TryGetValue(ns[path], out var e) ? e : graph[ns[path]] = new(StringComparer.Ordinal);
                (edges.TryGetValue(to, out var ev) ? ev : edges[to] = new(StringComparer.Ordinal)).Add($"{System.IO.Path.GetFileName(path)}: {name}");
            }
        }
        return graph;
    }

    /// <summary>One dependency cycle as "A → B (evidence) → … → A", or null when the graph has none.</summary>
    public static string? FindCycle(Dictionary<string, SortedDictionary<string, SortedSet<string>>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);   // 1 on the current path, 2 finished
        var path = new List<string>();
        string? Visit(string n)
        {
            state[n] = 1;
            path.Add(n);
            foreach (var next in graph.TryGetValue(n, out var e) ? e.Keys.ToList() : [])
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    var cycle = path.Skip(path.IndexOf(next)).Append(next).ToList();
                    return string.Join(" → ", cycle.Zip(cycle.Skip(1), (a, b) => $"{a} ({string.Join(", ", graph[a][b].Take(3))})")) + $" → {next}";
                }
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is string found) return found;
            }
            path.RemoveAt(path.Count - 1);
            state[n] = 2;
            return null;
        }
        foreach (var n in graph.Keys.Order(StringComparer.Ordinal))
            if (state.GetValueOrDefault(n) == 0 && Visit(n) is string found) return found;
        return null;
    }

    static List<(string Path, string Text)> Sources(string project) =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot(), "src", project), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Order(StringComparer.Ordinal).Select(p => (p, File.ReadAllText(p))).ToList();

    [Theory]
    [InlineData("Mirage")]
    [InlineData("Mirage.Cli")]
    public void Namespaces_depend_on_each_other_one_way(string project)
    {
        var sources = Sources(project);
        Assert.True(sources.Count > 10, $"found only {sources.Count} sources of {project} under {RepoRoot()}");
        var graph = Dependencies(sources);
        Assert.True(graph.Count > 3, "the scan found almost no dependencies: it reads nothing");
        Assert.Null(FindCycle(graph));
    }

    [Fact]
    public void The_scan_names_a_cycle_where_there_is_one()
    {
        // A const used across namespaces leaves nothing in IL: the source scan must still see it.
        var sources = new List<(string, string)>
        {
            ("Low/Key.cs", "namespace Demo.Low;\npublic static class Key { public const string Name = Demo.High.Stage.Category; }\n"),
            ("High/Stage.cs", "namespace Demo.High;\n// Key is mentioned in this comment only.\npublic sealed class Stage { public const string Category = \"x\"; }\n"),
            ("High/Other.cs", "namespace Demo.High;\npublic sealed class Other { string K => Demo.Low.Key.Name; }\n"),
        };
        var cycle = FindCycle(Dependencies(sources));
        Assert.NotNull(cycle);
        Assert.Contains("Demo.High (Other.cs: Key) → Demo.Low (Key.cs: Stage) → Demo.High", cycle);
        // Without the upward use, the comment alone makes no edge and there is no cycle.
        sources.RemoveAt(2);
        Assert.Null(FindCycle(Dependencies(sources)));
    }
}
