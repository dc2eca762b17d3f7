using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Mirage.Model;

/// <summary>
/// Multi-head causal self-attention. Queries, keys and values come from one fused linear map (fast on CPU); the
/// pattern is computed explicitly (softmax of scaled, masked scores) because interpretability needs it as a tensor.
/// TransformerLens's per-head W_Q/W_K/W_V/W_O are views of these weights (see <see cref="TransformerLensWeights"/>).
/// </summary>
public sealed class Attention : Module<Tensor, Tensor>
{
    internal readonly Linear qkv, out_proj;
    readonly int _heads, _dHead;
    readonly double _scale;
    readonly string _prefix;

    public Attention(ModelConfig cfg, int layer) : base($"attn{layer}")
    {
        _heads = cfg.Heads; _dHead = cfg.HeadDim;
        _scale = 1.0 / Math.Sqrt(_dHead);
        _prefix = $"blocks.{layer}.attn";
        qkv = Linear(cfg.DModel, 3 * _heads * _dHead);
        out_proj = Linear(_heads * _dHead, cfg.DModel);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null!, null);

    /// <param name="mask">[n_ctx, n_ctx] bool, true above the diagonal (future keys).</param>
    internal Tensor Forward(Tensor x, Tensor mask, HookContext? h)
    {
        long b = x.shape[0], t = x.shape[1];
        var parts = qkv.forward(x).view(b, t, 3, _heads, _dHead);
        var q = parts.select(2, 0); var k = parts.select(2, 1); var v = parts.select(2, 2);   // [b, t, head, d_head]
        if (h is not null)
        {
            q = h.At($"{_prefix}.hook_q", q, 2);
            k = h.At($"{_prefix}.hook_k", k, 2);
            v = h.At($"{_prefix}.hook_v", v, 2);
        }
        var scores = torch.matmul(q.transpose(1, 2), k.permute(0, 2, 3, 1)).mul_(_scale);  // [b, head, q, k]
        scores = scores.masked_fill_(mask[..(int)t, ..(int)t], double.NegativeInfinity);
        if (h is not null) scores = h.At($"{_prefix}.hook_attn_scores", scores, 1);
        var pattern = scores.softmax(-1);
        if (h is not null) pattern = h.At($"{_prefix}.hook_pattern", pattern, 1);
        var z = torch.matmul(pattern, v.transpose(1, 2)).transpose(1, 2);                     // [b, t, head, d_head]
        if (h is not null) z = h.At($"{_prefix}.hook_z", z, 2);
        return out_proj.forward(z.reshape(b, t, _heads * _dHead));
    }
}
