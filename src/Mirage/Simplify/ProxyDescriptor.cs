namespace Mirage.Simplify;

/// <summary>What a proxy's parameter is: none, a rank (1 … d_head) or a cluster count (1 … fit-set points).</summary>
public enum ProxyParameter { None, Rank, Clusters }

/// <summary>
/// Everything Mirage needs to know about a proxy before fitting one: its name on the command line and in results, a
/// one-line summary, its parameter and default sweep, whether it learns from captured activations, and how to make
/// one. Every proxy class declares its own as <c>public static readonly ProxyDescriptor Definition</c>;
/// <see cref="ProxyCatalog.All"/> lists them, one line each.
/// </summary>
public sealed record ProxyDescriptor(string Name, string Summary, ProxyParameter Parameter, bool NeedsData, Func<int?, int, Proxy> Factory)
{
    /// <summary>Largest default cluster count, as in the study.</summary>
    public const int MaxDefaultClusters = 64;

    public bool HasParameter => Parameter != ProxyParameter.None;

    /// <summary>How text names the parameter: "r" or "c"; null without one.</summary>
    public string? Symbol => Parameter switch { ProxyParameter.Rank => "r", ProxyParameter.Clusters => "c", _ => null };

    /// <summary>The parameter as an axis or column name.</summary>
    public string Noun => Parameter switch { ProxyParameter.Rank => "rank", ProxyParameter.Clusters => "clusters", _ => "parameter" };

    /// <summary>Powers of two up to d_head (ranks, d_head itself included) or 2 … 64 (clusters); [null] without a parameter.</summary>
    public IReadOnlyList<int?> DefaultSweep(int dHead) => Parameter switch
    {
        ProxyParameter.Rank => Powers(1, dHead),
        ProxyParameter.Clusters => Powers(2, MaxDefaultClusters),
        _ => [null],
    };

    static List<int?> Powers(int from, int to)
    {
        var l = new List<int?>();
        for (int v = from; v <= to; v *= 2) l.Add(v);
        if (l.Count == 0 || l[^1] != to && from == 1) l.Add(to);
        return l;
    }

    /// <summary>Checks a parameter against the model and the fit set; a clear error names the flag and the range.</summary>
    /// <remarks><paramref name="fitPoints"/> is null before the fit set is captured (then only the lower bound of a cluster count is checked).</remarks>
    public void CheckParameter(int? p, int dHead, long? fitPoints, string displayName)
    {
        if (!HasParameter) return;
        if (p is not int v) throw new UserError($"--sweep: {displayName} needs a parameter ({Noun})");
        if (Parameter == ProxyParameter.Rank && (v < 1 || v > dHead))
            throw new UserError($"--sweep {v}: {displayName} rank must be between 1 and d_head = {dHead}");
        if (Parameter == ProxyParameter.Clusters && v < 1)
            throw new UserError($"--sweep {v}: {displayName} cluster count must be at least 1");
        if (Parameter == ProxyParameter.Clusters && fitPoints is long n && v > n)
            throw new UserError($"--sweep {v}: {displayName} cluster count must be at most the fit set's {n} points (query or key vectors); lower it or raise --fit-n");
    }

    /// <summary>A new, unfitted proxy with this parameter; <paramref name="seed"/> seeds whatever it draws at random.</summary>
    public Proxy Create(int? parameter, int seed) => Factory(parameter, seed);
}
