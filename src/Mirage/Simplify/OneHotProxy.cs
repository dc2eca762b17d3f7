using Mirage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// Hard attention: the head's pattern becomes a one-hot on its highest-scoring key (ties: the most recent key).
/// Fits nothing. Softmax is monotone, so the pattern's argmax is the scores' argmax.
/// </summary>
public sealed class OneHotProxy : Proxy
{
    public static readonly ProxyDescriptor Definition = new("onehot", "hard attention on the highest-scoring key (ties: the most recent)",
        ProxyParameter.None, NeedsData: false, (_, _) => new OneHotProxy());

    public override ProxyDescriptor Descriptor => Definition;
    protected override void FitCore(HeadActivations? data, HeadWeights weights) { }
    protected override Hooks MakeHooks(AttentionHead h) => new Hooks().Add(HookSites.Pattern(h.Layer), h.Head, OneHot);

    /// <summary>[..., q, k] pattern → one-hot rows on the last maximal key.</summary>
    public static Tensor OneHot(Tensor pattern)
    {
        long k = pattern.shape[^1];
        // argmax returns the first maximum; on the key-reversed pattern that is the most recent one.
        var last = (k - 1) - pattern.flip(-1).argmax(-1);
        return torch.nn.functional.one_hot(last, k).to_type(pattern.dtype);
    }
}
