namespace Mirage.Simplify;

/// <summary>A proxy as requested on the command line or in a study: which one, by its name in results.</summary>
public sealed record ProxySpec(ProxyDescriptor Descriptor)
{
    public string Name => Descriptor.Name;
}

/// <summary>
/// The proxies Mirage knows (docs/method.md §4, "Proxies"). Adding one: a new file with a <see cref="Proxy"/> subclass
/// and its <see cref="ProxyDescriptor"/>, and one line in <see cref="All"/>. The oracle control is not a proxy of its
/// own but a fit option (<c>--oracle</c>): every data proxy fitted again on the split it is scored on.
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

    /// <summary>Every name the command line accepts, in catalogue order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(d => d.Name).ToArray();

    public static ProxySpec Parse(string name)
    {
        var d = All.FirstOrDefault(x => x.Name == name);
        if (d is not null) return new ProxySpec(d);
        if (name.StartsWith("oracle-", StringComparison.Ordinal) && All.Any(x => x.Name == name["oracle-".Length..] && x.NeedsData))
            throw new UserError($"unknown proxy '{name}': the oracle is a fit option now — pass --proxy {name["oracle-".Length..]} --oracle (every data proxy is also fitted on half of each evaluation split)");
        throw new UserError($"unknown proxy '{name}'; valid proxies: {string.Join(", ", Names)}");
    }

    public static void CheckName(string name) => Parse(name);

    /// <summary>The descriptor behind a name in results; null for a name this version does not know.</summary>
    public static ProxyDescriptor? Describe(string name) => All.FirstOrDefault(x => x.Name == name);

    /// <summary>"r", "c", or null: how text names a results proxy's parameter.</summary>
    public static string? SymbolOf(string name) => Describe(name)?.Symbol;

    /// <summary>"rank", "clusters" or "parameter": a results proxy's parameter as a column or axis name.</summary>
    public static string NounOf(string name) => Describe(name)?.Noun ?? "parameter";

    /// <summary>Order of proxies in reports: catalogue order, unknown names last.</summary>
    public static int Order(string name) => Names.ToList().IndexOf(name) is var i and >= 0 ? i : int.MaxValue;
}
