using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Model;

/// <summary>
/// Converts between our fused layout and TransformerLens's parameter names and shapes, so checkpoints load in Python
/// (<c>HookedTransformer.load_state_dict</c> after <c>safetensors.torch.load_file</c>):
/// <c>embed.W_E</c> [d_vocab, d_model], <c>pos_embed.W_pos</c> [n_ctx, d_model], <c>blocks.{l}.ln1.w/b</c>,
/// <c>blocks.{l}.attn.W_Q/W_K/W_V</c> [heads, d_model, d_head], <c>b_Q/b_K/b_V</c> [heads, d_head],
/// <c>W_O</c> [heads, d_head, d_model], <c>b_O</c> [d_model], <c>blocks.{l}.ln2.w/b</c>,
/// <c>blocks.{l}.mlp.W_in</c> [d_model, d_mlp], <c>b_in</c>, <c>W_out</c> [d_mlp, d_model], <c>b_out</c>,
/// <c>ln_final.w/b</c>, <c>unembed.W_U</c> [d_model, d_vocab], <c>b_U</c>.
/// </summary>
internal static class TransformerLensWeights
{
    static readonly string[] Qkv = ["Q", "K", "V"];

    public static Dictionary<string, Tensor> Export(HookedTransformer m)
    {
        using var _ = torch.no_grad();
        var c = m.Config; int H = c.Heads, dh = c.HeadDim, d = c.DModel;
        var sd = new Dictionary<string, Tensor>
        {
            ["embed.W_E"] = m.embed.weight!.clone(),
            ["pos_embed.W_pos"] = m.pos_embed.clone(),
            ["ln_final.w"] = m.ln_final.weight!.clone(),
            ["ln_final.b"] = m.ln_final.bias!.clone(),
            ["unembed.W_U"] = m.unembed.weight!.t().contiguous(),
            ["unembed.b_U"] = m.unembed.bias!.clone(),
        };
        for (int l = 0; l < c.Layers; l++)
        {
            var blk = m.blocks[l]; string p = $"blocks.{l}";
            sd[$"{p}.ln1.w"] = blk.ln1.weight!.clone(); sd[$"{p}.ln1.b"] = blk.ln1.bias!.clone();
            sd[$"{p}.ln2.w"] = blk.ln2.weight!.clone(); sd[$"{p}.ln2.b"] = blk.ln2.bias!.clone();
            // qkv.weight is [3*H*dh, d_model], rows ordered (which, head, d_head).
            using var w = blk.attn.qkv.weight!.view(3, H, dh, d);
            using var bias = blk.attn.qkv.bias!.view(3, H, dh);
            for (int i = 0; i < 3; i++)
            {
                sd[$"{p}.attn.W_{Qkv[i]}"] = w[i].transpose(1, 2).contiguous();   // [H, d_model, dh]
                sd[$"{p}.attn.b_{Qkv[i]}"] = bias[i].contiguous();
            }
            sd[$"{p}.attn.W_O"] = blk.attn.out_proj.weight!.t().reshape(H, dh, d).contiguous();
            sd[$"{p}.attn.b_O"] = blk.attn.out_proj.bias!.clone();
            sd[$"{p}.mlp.W_in"] = blk.mlp.fc_in.weight!.t().contiguous();
            sd[$"{p}.mlp.b_in"] = blk.mlp.fc_in.bias!.clone();
            sd[$"{p}.mlp.W_out"] = blk.mlp.fc_out.weight!.t().contiguous();
            sd[$"{p}.mlp.b_out"] = blk.mlp.fc_out.bias!.clone();
        }
        return sd;
    }

    public static void Import(HookedTransformer m, IReadOnlyDictionary<string, Tensor> sd, string source)
    {
        var c = m.Config; int H = c.Heads, dh = c.HeadDim, d = c.DModel;
        var used = new HashSet<string>();
        Tensor Get(string name, params long[] shape)
        {
            if (!sd.TryGetValue(name, out var t)) throw new UserError($"{source}: tensor '{name}' is missing");
            if (!t.shape.SequenceEqual(shape))
                throw new UserError($"{source}: tensor '{name}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape)}]");
            if (t.dtype != ScalarType.Float32) throw new UserError($"{source}: tensor '{name}' is {t.dtype}, expected float32");
            Safetensors.CheckFinite(t, name, source);
            used.Add(name);
            return t;
        }
        using var _ = torch.no_grad();
        m.embed.weight!.copy_(Get("embed.W_E", c.VocabSize, d));
        m.pos_embed.copy_(Get("pos_embed.W_pos", c.ContextLength, d));
        m.ln_final.weight!.copy_(Get("ln_final.w", d)); m.ln_final.bias!.copy_(Get("ln_final.b", d));
        m.unembed.weight!.copy_(Get("unembed.W_U", d, c.VocabSize).t());
        m.unembed.bias!.copy_(Get("unembed.b_U", c.VocabSize));
        for (int l = 0; l < c.Layers; l++)
        {
            var blk = m.blocks[l]; string p = $"blocks.{l}";
            blk.ln1.weight!.copy_(Get($"{p}.ln1.w", d)); blk.ln1.bias!.copy_(Get($"{p}.ln1.b", d));
            blk.ln2.weight!.copy_(Get($"{p}.ln2.w", d)); blk.ln2.bias!.copy_(Get($"{p}.ln2.b", d));
            var ws = Qkv.Select(x => Get($"{p}.attn.W_{x}", H, d, dh).transpose(1, 2)).ToArray();   // each [H, dh, d]
            var bs = Qkv.Select(x => Get($"{p}.attn.b_{x}", H, dh)).ToArray();
            blk.attn.qkv.weight!.copy_(torch.stack(ws).reshape(3 * H * dh, d));
            blk.attn.qkv.bias!.copy_(torch.stack(bs).reshape(3 * H * dh));
            blk.attn.out_proj.weight!.copy_(Get($"{p}.attn.W_O", H, dh, d).reshape(H * dh, d).t());
            blk.attn.out_proj.bias!.copy_(Get($"{p}.attn.b_O", d));
            blk.mlp.fc_in.weight!.copy_(Get($"{p}.mlp.W_in", d, c.DMlp).t()); blk.mlp.fc_in.bias!.copy_(Get($"{p}.mlp.b_in", c.DMlp));
            blk.mlp.fc_out.weight!.copy_(Get($"{p}.mlp.W_out", c.DMlp, d).t()); blk.mlp.fc_out.bias!.copy_(Get($"{p}.mlp.b_out", d));
        }
        var extra = sd.Keys.Where(k => !used.Contains(k)).ToList();
        if (extra.Count > 0) throw new UserError($"{source}: unexpected tensor(s) {string.Join(", ", extra.Take(5))} for this model config");
    }
}
