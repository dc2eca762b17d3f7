using static TorchSharp.torch;

namespace Mirage.Model;

/// <summary>
/// What a forward pass keeps so that later passes can start inside a block's attention: for each requested layer,
/// the block's input (<c>hook_resid_pre</c>) and its attention's fused q/k/v projection, the tensors the pass itself
/// used (no copies; they live in the pass's dispose scope). A pass started from them
/// (<see cref="HookedTransformer.RunFrom(int, PassStarts, Hooks?, ActivationCache?)"/>) skips the layers before, the
/// block's first LayerNorm and the projection, and gives bit for bit the logits of a whole pass: the projection is the
/// same tensor, in the same memory layout, so every later product sees the same operands.
/// </summary>
public sealed class PassStarts(IEnumerable<int> layers)
{
    readonly HashSet<int> _layers = [.. layers];
    readonly Dictionary<int, (Tensor ResidPre, Tensor Qkv)> _kept = [];
    readonly Dictionary<int, Tensor> _resid = [];

    public bool Wants(int layer) => _layers.Contains(layer);

    internal void KeepResidPre(int layer, Tensor x) { if (Wants(layer)) _resid[layer] = x; }

    internal void KeepQkv(int layer, Tensor fused)
    {
        if (Wants(layer) && _resid.TryGetValue(layer, out var x)) _kept[layer] = (x, fused);
    }

    /// <summary>Block <paramref name="layer"/>'s input and fused q/k/v projection from the pass that filled this.</summary>
    public (Tensor ResidPre, Tensor Qkv) this[int layer] => _kept.TryGetValue(layer, out var k) ? k
        : throw new KeyNotFoundException($"no pass start kept at layer {layer} (kept: {string.Join(", ", _kept.Keys.Order())})");
}
