using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Mirage.Model;

/// <summary>
/// Multi-head causal self-attention. Queries, keys and values come from one fused linear map (fast on CPU); the
/// pattern is computed explicitly (softmax of scaled, masked scores) because interpretability needs it as a tensor.
/// Holds its own causal mask, as nanoGPT's attention does, so <c>forward(x)</c> works on its own.
/// TransformerLens's per-head W_Q/W_K/W_V/W_O are views of these weights (see <see cref="TransformerLensWeights"/>).
/// </summary>
public sealed class Attention : Module<Tensor, Tensor>
{
    internal readonly Linear qkv, out_proj;
    readonly Tensor _mask;
    readonly int _heads, _dHead, _layer;
    readonly double _scale;

    public Attention(ModelConfig cfg, int layer) : base($"attn{layer}")
    {
        _heads = cfg.Heads; _dHead = cfg.HeadDim; _layer = layer;
        _scale = 1.0 / Math.Sqrt(_dHead);
        qkv = Linear(cfg.DModel, 3 * _heads * _dHead);
        out_proj = Linear(_heads * _dHead, cfg.DModel);
        // [n_ctx, n_ctx] bool, true above the diagonal (future keys). A buffer, not a parameter: never saved.
        _mask = torch.ones(cfg.ContextLength, cfg.ContextLength, ScalarType.Bool).triu(1);
        register_buffer("causal_mask", _mask, persistent: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    internal Tensor Forward(Tensor x, HookContext? h)
    {
        // The scores, the pattern, q/k/v and the heads' outputs are freed when the layer is done, not when the caller's
        // scope ends (TransformerBlock says why). Autograd keeps what the backward pass needs by its own reference.
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var parts = qkv.forward(x).view(b, t, 3, _heads, _dHead);
        var q = parts.select(2, 0); var k = parts.select(2, 1); var v = parts.select(2, 2);   // [b, t, head, d_head]
        if (h is not null)
        {
            q = h.At(HookSites.Q(_layer), q, 2);
            k = h.At(HookSites.K(_layer), k, 2);
            v = h.At(HookSites.V(_layer), v, 2);
        }
        // Scalars made explicitly and kept alive to the end of the call (ScalarLifetimeTests says why).
        using var scale = _scale.ToScalar();
        using var future = double.NegativeInfinity.ToScalar();
        var scores = torch.matmul(q.transpose(1, 2), k.permute(0, 2, 3, 1)).mul_(scale);  // [b, head, q, k]
        scores = scores.masked_fill_(_mask[..(int)t, ..(int)t], future);
        if (h is not null) scores = h.At(HookSites.Scores(_layer), scores, 1);
        var pattern = scores.softmax(-1);
        if (h is not null) pattern = h.At(HookSites.Pattern(_layer), pattern, 1);
        var z = torch.matmul(pattern, v.transpose(1, 2)).transpose(1, 2);                     // [b, t, head, d_head]
        if (h is not null) z = h.At(HookSites.Z(_layer), z, 2);
        return scope.MoveToOuter(out_proj.forward(z.reshape(b, t, _heads * _dHead)));
    }
}
