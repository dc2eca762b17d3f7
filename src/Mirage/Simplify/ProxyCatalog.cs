namespace Mirage.Simplify;

/// <summary>
/// The proxies Mirage knows, their default sweeps, and the checks on a requested parameter (study.md, "Proxies").
/// <c>oracle-*</c> proxies are fitted on the split they are evaluated on: a control separating "the proxy is too
/// small" from "the distribution shifted".
/// </summary>
public static class ProxyCatalog
{
    public static readonly string[] Names = ["identity", "pca", "kmeans", "onehot", "weight-svd", "oracle-pca", "oracle-kmeans"];

    public static void CheckName(string name)
    {
        if (!Names.Contains(name)) throw new UserError($"unknown proxy '{name}'; valid proxies: {string.Join(", ", Names)}");
    }

    public static bool IsOracle(string name) => name.StartsWith("oracle-");

    static string Base(string name) => IsOracle(name) ? name["oracle-".Length..] : name;

    public static bool HasParameter(string name) => Base(name) is "pca" or "kmeans" or "weight-svd";

    public static bool NeedsData(string name) => Base(name) is "pca" or "kmeans";

    /// <summary>How text names the parameter: "r" (rank) or "c" (clusters); null for proxies without one.</summary>
    public static string? ParameterSymbol(string name) => !HasParameter(name) ? null : Base(name) == "kmeans" ? "c" : "r";

    /// <summary>The parameter as an axis or column name: "rank" or "clusters".</summary>
    public static string ParameterNoun(string name) => Base(name) == "kmeans" ? "clusters" : "rank";

    /// <summary>Powers of two up to d_head (ranks) or up to 64 (clusters, as in the study).</summary>
    public static IReadOnlyList<int?> DefaultSweep(string name, int dHead) => Base(name) switch
    {
        "pca" or "weight-svd" => Powers(1, dHead),
        "kmeans" => Powers(2, 64),
        _ => [null],
    };

    static List<int?> Powers(int from, int to)
    {
        var l = new List<int?>();
        for (int v = from; v <= to; v *= 2) l.Add(v);
        if (l.Count == 0 || l[^1] != to && from == 1) l.Add(to);
        return l;
    }

    /// <summary>Checks a parameter against the model and fit set; a clear error names the flag and the range.</summary>
    /// <remarks><paramref name="fitPoints"/> is null before the fit set is captured (then only the lower bound is checked).</remarks>
    public static void CheckParameter(string name, int? p, int dHead, long? fitPoints)
    {
        if (!HasParameter(name)) return;
        if (p is not int v) throw new UserError($"--sweep: {name} needs a parameter (rank or cluster count)");
        if (Base(name) is "pca" or "weight-svd" && (v < 1 || v > dHead))
            throw new UserError($"--sweep {v}: {name} rank must be between 1 and d_head = {dHead}");
        if (Base(name) == "kmeans" && v < 1)
            throw new UserError($"--sweep {v}: {name} cluster count must be at least 1");
        if (Base(name) == "kmeans" && fitPoints is long n && v > n)
            throw new UserError($"--sweep {v}: {name} cluster count must be at most the fit set's {n} points (query or key vectors); lower it or raise --fit-n");
    }

    public static Proxy Create(string name, int? parameter, int seed) => Base(name) switch
    {
        "identity" => new IdentityProxy(),
        "pca" => new PcaProxy(parameter!.Value),
        "kmeans" => new KMeansProxy(parameter!.Value, seed),
        "onehot" => new OneHotProxy(),
        "weight-svd" => new WeightSvdProxy(parameter!.Value),
        _ => throw new UserError($"unknown proxy '{name}'; valid proxies: {string.Join(", ", Names)}"),
    };
}
