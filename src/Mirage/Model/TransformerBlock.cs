using TorchSharp;
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

    /// <remarks>
    /// Each block, its attention and its MLP run in a dispose scope of their own and hand only their output out. In
    /// TorchSharp a tensor lives until its scope ends, so without them every intermediate of a whole forward pass
    /// (the MLP's d_mlp-wide activations, the [batch, head, pos, pos] scores and pattern of every layer) stayed
    /// allocated until the caller's scope ended: in the code study's proxy stage, about 2.8 GB of tensors at once. The
    /// computation is the same, so are the results; only when memory is given back changes.
    /// </remarks>
    /// <param name="rows">
    /// Null: every position, [batch, pos, d_model] out. Otherwise rows of the flattened [batch × pos] positions: the
    /// attention runs on every position (each attends to those before it), then the residual stream is cut to those
    /// rows and the position-wise rest — the second LayerNorm and the MLP — runs on them alone: [rows, d_model] out.
    /// The sites after the cut (<see cref="HookSites.AfterRows"/>) then hold only those rows.
    /// </param>
    internal Tensor Forward(Tensor x, HookContext? h, Tensor? rows = null)
    {
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(ForwardInScope(x, h, rows));
    }

    Tensor ForwardInScope(Tensor x, HookContext? h, Tensor? rows)
    {
        if (h is null)
        {
            x = Cut(x + attn.Forward(ln1.forward(x), null), rows);
            return x + mlp.Forward(ln2.forward(x), null);
        }
        x = h.At($"{_p}.hook_resid_pre", x);
        var a = attn.Forward(h.At($"{_p}.ln1.hook_normalized", ln1.forward(x)), h);
        x = Cut(h.At($"{_p}.hook_resid_mid", x + h.At($"{_p}.hook_attn_out", a)), rows);
        var m = mlp.Forward(h.At($"{_p}.ln2.hook_normalized", ln2.forward(x)), h);
        return h.At($"{_p}.hook_resid_post", x + h.At($"{_p}.hook_mlp_out", m));
    }

    static Tensor Cut(Tensor x, Tensor? rows) => rows is null ? x : x.reshape(-1, x.shape[^1]).index_select(0, rows);
}
