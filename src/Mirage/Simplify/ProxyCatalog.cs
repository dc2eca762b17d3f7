namespace Mirage.Simplify;

/// <summary>A proxy as requested: which one, and whether it is fitted on the split it is evaluated on (an oracle control).</summary>
public sealed record ProxySpec(ProxyDescriptor Descriptor, bool FitOnEvalSplit = false)
{
    /// <summary>The name in results and on the command line: the proxy's, prefixed <c>oracle-</c> when fitted on the evaluation split.</summary>
    public string Name => FitOnEvalSplit ? ProxyCatalog.OraclePrefix + Descriptor.Name : Descriptor.Name;
}

/// <summary>
/// The proxies Mirage knows (docs/method.md §4, "Proxies"). Adding one: a new file with a <see cref="Proxy"/> subclass
/// and its <see cref="ProxyDescriptor"/>, and one line in <see cref="All"/>. Data proxies can also be requested as
/// <c>oracle-NAME</c>: fitted on the split they are evaluated on, a control separating "the proxy is too small" from
/// "the distribution shifted".
/// </summary>
public static class ProxyCatalog
{
    public static readonly IReadOnlyList<ProxyDescriptor> All =
    [
        IdentityProxy.Definition,
        PcaProxy.Definition,
        PcaUncentredProxy.Definition,
        KMeansProxy.Definition,
        OneHotProxy.Definition,
        WeightSvdProxy.Definition,
    ];

    public const string OraclePrefix = "oracle-";

    /// <summary>Every name the command line accepts: the proxies, then the oracle variants of the data proxies.</summary>
    public static IReadOnlyList<string> Names { get; } =
        All.Select(d => d.Name).Concat(All.Where(d => d.NeedsData).Select(d => OraclePrefix + d.Name)).ToArray();

    public static ProxySpec Parse(string name)
    {
        bool oracle = name.StartsWith(OraclePrefix, StringComparison.Ordinal);
        var baseName = oracle ? name[OraclePrefix.Length..] : name;
        var d = All.FirstOrDefault(x => x.Name == baseName);
        if (d is null || oracle && !d.NeedsData) throw new UserError($"unknown proxy '{name}'; valid proxies: {string.Join(", ", Names)}");
        return new ProxySpec(d, oracle);
    }

    public static void CheckName(string name) => Parse(name);

    /// <summary>The descriptor behind a name as it appears in results (oracle names included); null for a name this version does not know.</summary>
    public static ProxyDescriptor? Describe(string name)
    {
        bool oracle = name.StartsWith(OraclePrefix, StringComparison.Ordinal);
        return All.FirstOrDefault(x => x.Name == (oracle ? name[OraclePrefix.Length..] : name));
    }

    /// <summary>"r", "c", or null: how text names a results proxy's parameter.</summary>
    public static string? SymbolOf(string name) => Describe(name)?.Symbol;

    /// <summary>"rank", "clusters" or "parameter": a results proxy's parameter as a column or axis name.</summary>
    public static string NounOf(string name) => Describe(name)?.Noun ?? "parameter";

    /// <summary>Order of proxies in reports: catalogue order, the oracle variants after the proxies, unknown names last.</summary>
    public static int Order(string name) => Names.ToList().IndexOf(name) is var i and >= 0 ? i : int.MaxValue;
}
