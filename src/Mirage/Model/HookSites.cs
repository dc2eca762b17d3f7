namespace Mirage.Model;

/// <summary>
/// The names of every hook site, as TransformerLens names them, and which axis of each holds the heads.
/// </summary>
public static class HookSites
{
    public static IReadOnlyList<string> All(ModelConfig cfg)
    {
        var names = new List<string> { "hook_embed", "hook_pos_embed" };
        for (int l = 0; l < cfg.Layers; l++)
        {
            string b = $"blocks.{l}";
            names.AddRange([
                $"{b}.hook_resid_pre", $"{b}.ln1.hook_normalized",
                $"{b}.attn.hook_q", $"{b}.attn.hook_k", $"{b}.attn.hook_v",
                $"{b}.attn.hook_attn_scores", $"{b}.attn.hook_pattern", $"{b}.attn.hook_z",
                $"{b}.hook_attn_out", $"{b}.hook_resid_mid", $"{b}.ln2.hook_normalized",
                $"{b}.mlp.hook_pre", $"{b}.mlp.hook_post", $"{b}.hook_mlp_out", $"{b}.hook_resid_post",
            ]);
        }
        names.Add("ln_final.hook_normalized");
        return names;
    }

    /// <summary>2 for q/k/v/z ([batch, pos, head, d_head]), 1 for scores/pattern ([batch, head, q, k]), -1 otherwise.</summary>
    public static int HeadAxis(string site) =>
        site.EndsWith(".hook_q") || site.EndsWith(".hook_k") || site.EndsWith(".hook_v") || site.EndsWith(".hook_z") ? 2
        : site.EndsWith(".hook_attn_scores") || site.EndsWith(".hook_pattern") ? 1
        : -1;
}
