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
    public override string Name => "onehot";
    public override void Fit(HeadActivations? data, HeadWeights weights) { }
    public override Hooks Hooks(int layer, int head) => new Hooks().Add(Pattern(layer), head, OneHot);

    /// <summary>[..., q, k] pattern → one-hot rows on the last maximal key.</summary>
    public static Tensor OneHot(Tensor pattern)
    {
        long k = pattern.shape[^1];
        // argmax returns the first maximum; on the key-reversed pattern that is the most recent one.
        var last = (k - 1) - pattern.flip(-1).argmax(-1);
        return torch.nn.functional.one_hot(last, k).to_type(pattern.dtype);
    }
}
