namespace Mirage.Model;

/// <summary>
/// The names of every hook site, as TransformerLens names them, and which axis of each holds the heads. The only
/// place that spells a site name: everything else asks for <see cref="Q"/>, <see cref="Pattern"/>, ...
/// </summary>
public static class HookSites
{
    /// <summary>The sites outside the blocks: the token and position embeddings (before block 0) and the final LayerNorm's output.</summary>
    public const string Embed = "hook_embed", PosEmbed = "hook_pos_embed", LnFinal = "ln_final.hook_normalized";

    public static string Block(int layer) => $"blocks.{layer}";
    /// <summary>An attention block, <c>blocks.{layer}.attn</c>: where a head proxy acts (the <c>site</c> of results).</summary>
    public static string Attn(int layer) => $"{Block(layer)}.attn";
    public static string Mlp(int layer) => $"{Block(layer)}.mlp";
    public static string Q(int layer) => $"{Attn(layer)}.hook_q";
    public static string K(int layer) => $"{Attn(layer)}.hook_k";
    public static string V(int layer) => $"{Attn(layer)}.hook_v";
    public static string Scores(int layer) => $"{Attn(layer)}.hook_attn_scores";
    public static string Pattern(int layer) => $"{Attn(layer)}.hook_pattern";
    public static string Z(int layer) => $"{Attn(layer)}.hook_z";

    public static string ResidPre(int layer) => $"{Block(layer)}.hook_resid_pre";

    /// <summary>The layer a hook site belongs to (<c>blocks.1.attn.hook_q</c> → 1); null for the sites outside the blocks (embeddings, final LayerNorm).</summary>
    public static int? LayerOf(string site)
    {
        if (!site.StartsWith("blocks.", StringComparison.Ordinal)) return null;
        int end = site.IndexOf('.', "blocks.".Length);
        return end > 0 && int.TryParse(site.AsSpan("blocks.".Length, end - "blocks.".Length), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int l) ? l : null;
    }

    /// <summary>The layer of an attention block's name (<c>blocks.1.attn</c> → 1), or null if it is not one of <paramref name="layers"/>.</summary>
    public static int? AttnLayer(string site, int layers) =>
        Enumerable.Range(0, layers).Cast<int?>().FirstOrDefault(l => Attn(l!.Value) == site);

    /// <summary>
    /// The sites a pass for some rows only (<see cref="HookedTransformer.Run"/>'s <c>rows</c>) computes at those rows
    /// alone: the last block's after its attention (its second LayerNorm, MLP and output) and the final LayerNorm.
    /// </summary>
    public static IReadOnlyList<string> AfterRows(ModelConfig cfg)
    {
        string b = Block(cfg.Layers - 1);
        return [$"{b}.ln2.hook_normalized", $"{Mlp(cfg.Layers - 1)}.hook_pre", $"{Mlp(cfg.Layers - 1)}.hook_post", $"{b}.hook_mlp_out",
            $"{b}.hook_resid_post", LnFinal];
    }

    public static IReadOnlyList<string> All(ModelConfig cfg)
    {
        var names = new List<string> { Embed, PosEmbed };
        for (int l = 0; l < cfg.Layers; l++)
        {
            string b = Block(l);
            names.AddRange([
                ResidPre(l), $"{b}.ln1.hook_normalized",
                Q(l), K(l), V(l), Scores(l), Pattern(l), Z(l),
                $"{b}.hook_attn_out", $"{b}.hook_resid_mid", $"{b}.ln2.hook_normalized",
                $"{Mlp(l)}.hook_pre", $"{Mlp(l)}.hook_post", $"{b}.hook_mlp_out", $"{b}.hook_resid_post",
            ]);
        }
        names.Add(LnFinal);
        return names;
    }

    /// <summary>2 for q/k/v/z ([batch, pos, head, d_head]), 1 for scores/pattern ([batch, head, q, k]), -1 otherwise.</summary>
    public static int HeadAxis(string site) =>
        site.EndsWith(".hook_q") || site.EndsWith(".hook_k") || site.EndsWith(".hook_v") || site.EndsWith(".hook_z") ? 2
        : site.EndsWith(".hook_attn_scores") || site.EndsWith(".hook_pattern") ? 1
        : -1;
}
