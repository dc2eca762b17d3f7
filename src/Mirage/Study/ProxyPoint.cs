using Mirage.Model;
using Mirage.Simplify;

namespace Mirage.Study;

/// <summary>One point of a sweep: a proxy with its parameter (rank, clusters or none), at one attention head.</summary>
public sealed record ProxyPoint(ProxyDescriptor Proxy, int? Parameter, AttentionHead Head)
{
    public string Key => $"{Proxy.Name}|{Parameter}|{Head.Layer}|{Head.Head}";
}
