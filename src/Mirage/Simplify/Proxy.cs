using Mirage.Model;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// A simplified stand-in for one attention head, like a scikit-learn estimator: <see cref="Fit"/> learns from
/// captured activations (or the weights) of one head, which it then belongs to; <see cref="Hooks"/> gives the hook
/// functions that splice it into the forward pass at that head. Fitted tensors belong to the proxy: dispose it.
/// A new proxy is one file (a subclass with its <see cref="ProxyDescriptor"/>) and one line in <see cref="ProxyCatalog.All"/>.
/// </summary>
public abstract class Proxy : IDisposable
{
    AttentionHead? _head;

    /// <summary>The proxy's descriptor (name, parameter kind, ...).</summary>
    public abstract ProxyDescriptor Descriptor { get; }

    public string Name => Descriptor.Name;

    /// <summary>Rank or cluster count; null for proxies without one.</summary>
    public virtual int? Parameter => null;

    /// <summary>The head this proxy was fitted on; only there can it be spliced.</summary>
    public AttentionHead Head => _head ?? throw new InvalidOperationException($"{Name}: fit the proxy first");

    /// <summary>Learns from one head's fit-set activations (data proxies) or its weights (weight-svd).</summary>
    /// <param name="cancel">Checked inside a long fit (k-means' iterations), so that SIGTERM does not wait for it.</param>
    public void Fit(HeadActivations? data, HeadWeights weights, AttentionHead head, CancellationToken cancel = default)
    {
        if (Descriptor.NeedsData && data is null) throw new ArgumentException($"{Name} needs captured activations");
        Cancel = cancel;
        try { FitCore(data, weights); }
        finally { Cancel = default; }
        _head = head;
    }

    /// <summary>The token of the fit under way, for a <see cref="FitCore"/> that loops long enough to check it.</summary>
    protected CancellationToken Cancel { get; private set; }

    protected abstract void FitCore(HeadActivations? data, HeadWeights weights);

    /// <summary>The hook functions that replace the fitted head's activations.</summary>
    public Hooks Hooks() => MakeHooks(Head);

    protected abstract Hooks MakeHooks(AttentionHead head);

    /// <summary>Keeps a fitted tensor alive beyond the caller's dispose scope.</summary>
    protected static Tensor Keep(Tensor t) => t.detach().clone().DetachFromDisposeScope();

    public virtual void Dispose() { }
}
