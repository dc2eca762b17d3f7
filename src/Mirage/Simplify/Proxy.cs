using Mirage.Model;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// A simplified stand-in for one attention head, like a scikit-learn estimator: <see cref="Fit"/> learns from
/// captured activations (or the weights), <see cref="Hooks"/> gives the hook functions that splice it into the
/// forward pass at <c>blocks.{layer}.attn</c>, head <c>head</c>. Fitted tensors belong to the proxy: dispose it.
/// </summary>
public abstract class Proxy : IDisposable
{
    /// <summary>The proxy's name as used on the command line and in results (pca, kmeans, ...).</summary>
    public abstract string Name { get; }

    /// <summary>Rank or cluster count; null for proxies without one.</summary>
    public virtual int? Parameter => null;

    /// <summary>Learns from the fit set (data proxies) or the weights (weight-svd). Proxies that need nothing ignore both.</summary>
    public abstract void Fit(HeadActivations? data, HeadWeights weights);

    /// <summary>The hook functions for head <paramref name="head"/> of block <paramref name="layer"/>.</summary>
    public abstract Hooks Hooks(int layer, int head);

    protected static string Q(int layer) => $"blocks.{layer}.attn.hook_q";
    protected static string K(int layer) => $"blocks.{layer}.attn.hook_k";
    protected static string Pattern(int layer) => $"blocks.{layer}.attn.hook_pattern";

    /// <summary>Keeps a fitted tensor alive beyond the caller's dispose scope.</summary>
    protected static Tensor Keep(Tensor t) => t.detach().clone().DetachFromDisposeScope();

    public virtual void Dispose() { }
}
