using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Mirage.Model;

/// <summary>A pre-LayerNorm block: x + attn(ln1(x)), then + mlp(ln2(x)).</summary>
public sealed class TransformerBlock : Module<Tensor, Tensor>
{
    internal readonly LayerNorm ln1, ln2;
    internal readonly Attention attn;
    internal readonly Mlp mlp;
    readonly string _p;


    public TransformerBlock(ModelConfig cfg, int layer) : base($"block{layer}")
    {
        ln1 = LayerNorm(cfg.DModel);
        attn = new Attention(cfg, layer);
        ln2 = LayerNorm(cfg.DModel);
        mlp = new Mlp(cfg, layer);
        _p = HookSites.Block(layer);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <param name="qkv">The attention's fused q/k/v projection of <paramref name="x"/>, already computed (a pass
    /// started inside this block, <see cref="PassStarts"/>): the first LayerNorm and the projection are skipped.</param>
    internal Tensor Forward(Tensor x, HookContext? h, Tensor? qkv = null)
    {
        if (h is null)
        {
            x = x + attn.Forward(qkv is null ? ln1.forward(x) : null, null, qkv);
            return x + mlp.Forward(ln2.forward(x), null);
        }
        x = h.At($"{_p}.hook_resid_pre", x);
        h.Starts?.KeepResidPre(attn.Layer, x);
        var a = attn.Forward(qkv is null ? h.At(HookSites.Ln1Normalized(attn.Layer), ln1.forward(x)) : null, h, qkv);
        x = h.At($"{_p}.hook_resid_mid", x + h.At($"{_p}.hook_attn_out", a));
        var m = mlp.Forward(h.At($"{_p}.ln2.hook_normalized", ln2.forward(x)), h);
        return h.At($"{_p}.hook_resid_post", x + h.At($"{_p}.hook_mlp_out", m));
    }
}
