using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Mirage.Model;

/// <summary>The feed-forward half of a block: d_model → d_mlp → GELU → d_model.</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    internal readonly Linear fc_in, fc_out;
    readonly string _prefix;

    public Mlp(ModelConfig cfg, int layer) : base($"mlp{layer}")
    {
        fc_in = Linear(cfg.DModel, cfg.DMlp);
        fc_out = Linear(cfg.DMlp, cfg.DModel);
        _prefix = HookSites.Mlp(layer);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    internal Tensor Forward(Tensor x, HookContext? h)
    {
        // The d_mlp-wide activations freed when the MLP is done (TransformerBlock says why).
        using var scope = torch.NewDisposeScope();
        var pre = fc_in.forward(x);
        if (h is not null) pre = h.At($"{_prefix}.hook_pre", pre);
        var post = functional.gelu(pre);
        if (h is not null) post = h.At($"{_prefix}.hook_post", post);
        return scope.MoveToOuter(fc_out.forward(post));
    }
}
