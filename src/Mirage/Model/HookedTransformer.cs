using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Mirage.Model;

/// <summary>
/// A decoder-only Transformer (GPT-2 style, as in nanoGPT's model.py): token + learned absolute position embeddings,
/// pre-LayerNorm blocks of causal multi-head attention and a GELU MLP, a final LayerNorm and an unembedding.
/// Every internal activation is a named hook site (TransformerLens names, see <see cref="HookSites"/>):
/// <see cref="Run"/> can replace activations (<see cref="Hooks"/>) and record them (<see cref="ActivationCache"/>).
/// </summary>
public sealed class HookedTransformer : Module<Tensor, Tensor>
{
    internal readonly Embedding embed;
    internal readonly Parameter pos_embed;
    internal readonly ModuleList<TransformerBlock> blocks;
    internal readonly LayerNorm ln_final;
    internal readonly Linear unembed;
    readonly HashSet<string> _sites;

    public ModelConfig Config { get; }

    /// <param name="init">
    /// The generator the initial weights are drawn from. Training passes one seeded with the run's seed: torch's
    /// global generator is shared by every thread of the process, so another thread drawing from it (a second model,
    /// a test running beside) would change the initial weights. Null: torch's global generator (seed it first).
    /// </param>
    public HookedTransformer(ModelConfig cfg, torch.Generator? init = null) : base("HookedTransformer")
    {
        Config = cfg.Validate();
        embed = Embedding(cfg.VocabSize, cfg.DModel);
        pos_embed = Parameter(torch.zeros(cfg.ContextLength, cfg.DModel));
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, cfg.Layers).Select(l => new TransformerBlock(cfg, l)).ToArray());
        ln_final = LayerNorm(cfg.DModel);
        unembed = Linear(cfg.DModel, cfg.VocabSize);
        _sites = new HashSet<string>(HookSites.All(cfg), StringComparer.Ordinal);
        RegisterComponents();
        InitWeights(init);
    }

    /// <summary>GPT-2 initialisation: normal(0, 0.02) weights, zero biases, unit LayerNorm gains.</summary>
    void InitWeights(torch.Generator? generator)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains("ln")) { if (name.EndsWith("weight")) { using var one = 1.0.ToScalar(); p.fill_(one); } else p.zero_(); }
            else if (name.EndsWith("bias")) p.zero_();
            // Tensor.normal_, not init.normal_: TorchSharp's init.normal_ ignores its generator argument.
            else p.normal_(0, 0.02, generator);
        }
    }

    /// <summary>tokens [batch, pos] (int64) → logits [batch, pos, vocab]. No hooks.</summary>
    public override Tensor forward(Tensor tokens) => Forward(tokens, null);

    /// <summary>
    /// Forward pass with hooks replacing activations and/or a cache recording them. Unknown site names are an error
    /// listing the valid ones.
    /// </summary>
    /// <param name="rows">
    /// Null: logits at every position, [batch, pos, vocab]. Otherwise the logits at these rows of the flattened
    /// [batch × pos] positions only, [rows, vocab], in their order: what is scored of a batch, when that is a part of
    /// it. Everything after the last block's attention is position-wise, so its second LayerNorm and MLP, the final
    /// LayerNorm and the unembedding run on those rows alone: each row gets the operations of a whole pass (on a matrix
    /// of another height, whose products may round differently in the last bit). Hooks
    /// and cached sites among <see cref="HookSites.AfterRows"/> are an error then (they would see only those rows).
    /// </param>
    public Tensor Run(Tensor tokens, Hooks? hooks = null, ActivationCache? cache = null, Tensor? rows = null)
    {
        CheckSites(hooks, cache, rows);
        return Forward(tokens, HookContext.For(hooks, cache), rows);
    }

    /// <summary>
    /// The forward pass from block <paramref name="layer"/>'s input (its <c>hook_resid_pre</c>, [batch, pos,
    /// d_model]) to the logits: TransformerLens's <c>start_at_layer</c>. The blocks before it are not run, so hooks
    /// there are an error. For many passes that differ only from some layer on (a proxy at one head against the
    /// model), the earlier layers are computed once: the result is the same tensor a whole pass gives.
    /// </summary>
    /// <param name="rows">As <see cref="Run"/>'s: logits at these rows of the flattened positions only.</param>
    public Tensor RunFrom(int layer, Tensor residPre, Hooks? hooks = null, ActivationCache? cache = null, Tensor? rows = null)
    {
        if (layer < 0 || layer >= Config.Layers) throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} of a {Config.Layers}-layer model");
        CheckSites(hooks, cache, rows);
        if (hooks is not null && hooks.Sites.FirstOrDefault(s => HookSites.LayerOf(s) is int l ? l < layer : s is HookSites.Embed or HookSites.PosEmbed) is string early)
            throw new ArgumentException($"hook site '{early}' is before layer {layer}, where this pass starts", nameof(hooks));
        return FromLayer(layer, residPre, HookContext.For(hooks, cache), rows);
    }

    void CheckSites(Hooks? hooks, ActivationCache? cache, Tensor? rows)
    {
        if (hooks is not null)
            foreach (var s in hooks.Sites)
                if (!_sites.Contains(s))
                    throw new UserError($"unknown hook site '{s}'; valid sites: {string.Join(", ", HookSites.All(Config))}");
        if (rows is null) return;
        if (HookSites.AfterRows(Config).FirstOrDefault(s => hooks?.Has(s) == true || cache?.Filter(s) == true) is string cut)
            throw new ArgumentException($"hook site '{cut}' holds only the chosen rows in a pass for some rows; hook or cache it in a whole pass", nameof(rows));
    }

    Tensor Forward(Tensor tokens, HookContext? h, Tensor? rows = null)
    {
        long t = tokens.shape[1];
        if (t > Config.ContextLength) throw new UserError($"input has {t} positions but the model's context_length is {Config.ContextLength}");
        var tok = embed.forward(tokens);
        var pos = pos_embed[..(int)t];
        if (h is not null) { tok = h.At(HookSites.Embed, tok); pos = h.At(HookSites.PosEmbed, pos); }
        return FromLayer(0, tok + pos, h, rows);
    }

    Tensor FromLayer(int layer, Tensor x, HookContext? h, Tensor? rows)
    {
        // The residual stream between blocks freed with the pass, as each block frees its own intermediates.
        using var scope = torch.NewDisposeScope();
        for (int l = layer; l < blocks.Count; l++) x = blocks[l].Forward(x, h, l == blocks.Count - 1 ? rows : null);
        x = ln_final.forward(x);
        if (h is not null) x = h.At(HookSites.LnFinal, x);
        return scope.MoveToOuter(unembed.forward(x));
    }

    /// <summary>Weights under TransformerLens names and shapes (copies), e.g. for safetensors.</summary>
    public Dictionary<string, Tensor> ToTransformerLensStateDict() => TransformerLensWeights.Export(this);

    /// <summary>Loads TransformerLens-named weights; every name and shape is checked, errors name <paramref name="source"/>.</summary>
    public void LoadTransformerLensStateDict(IReadOnlyDictionary<string, Tensor> sd, string source) => TransformerLensWeights.Import(this, sd, source);
}
