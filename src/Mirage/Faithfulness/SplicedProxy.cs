using Mirage.Model;

namespace Mirage.Faithfulness;

/// <summary>
/// A fitted proxy ready to splice into the model: the hooks that replace activations, and where it acts.
/// <see cref="Layer"/>/<see cref="Head"/> name the attention head whose pattern the JSD compares (null when the proxy
/// does not simplify one head, e.g. a residual-stream proxy: then no JSD is reported).
/// </summary>
public sealed record SplicedProxy(string Proxy, int? Parameter, string Site, int? Layer, int? Head, Hooks Hooks)
{
    public string PatternSite => HookSites.Pattern(Layer ?? -1);

    public string Label => Parameter is int p ? $"{Proxy}({p}) @ {Site}.h{Head}" : $"{Proxy} @ {Site}.h{Head}";
}
