using Mirage.Model;
using Mirage.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Tests;

public class ModelTests
{
    static readonly ModelConfig Tiny = new() { Layers = 2, Heads = 2, DModel = 16, DMlp = 32, ContextLength = 12, VocabSize = 9 };

    static HookedTransformer Make(int seed = 0, ModelConfig? cfg = null)
    {
        TorchRuntime.Init();
        // A generator of the test's own: torch's global one is shared with every test running beside this one, and a
        // draw from it between seeding and building gave "same seed" two different models (a CI run failed so).
        using var generator = new torch.Generator((ulong)seed);
        var m = new HookedTransformer(cfg ?? Tiny, generator);
        m.eval();
        return m;
    }

    static Tensor Tokens(int batch = 3, int len = 10, int seed = 5)
    {
        var g = new Random(seed);
        return torch.tensor(Enumerable.Range(0, batch * len).Select(_ => (long)g.Next(9)).ToArray(), batch, len);
    }

    static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Logits_have_batch_pos_vocab_shape_and_are_causal()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        var x = Tokens();
        var a = m.forward(x);
        Assert.Equal(new long[] { 3, 10, 9 }, a.shape);
        var x2 = x.clone();
        x2[.., 7] = torch.tensor(8L);
        x2[.., 8] = torch.tensor(0L);
        var b = m.forward(x2);
        // Positions before the change are untouched; position 7 onwards differ.
        Assert.Equal(Values(a[.., ..7]), Values(b[.., ..7]));
        Assert.NotEqual(Values(a[.., 7..]), Values(b[.., 7..]));
    }

    [Fact]
    public void Same_seed_same_weights_different_seed_different_weights()
    {
        using var a = Make(3); using var b = Make(3); using var c = Make(4);
        var wa = a.ToTransformerLensStateDict(); var wb = b.ToTransformerLensStateDict(); var wc = c.ToTransformerLensStateDict();
        Assert.Equal(Values(wa["blocks.0.attn.W_Q"]), Values(wb["blocks.0.attn.W_Q"]));
        Assert.NotEqual(Values(wa["blocks.0.attn.W_Q"]), Values(wc["blocks.0.attn.W_Q"]));
    }

    [Fact]
    public void Run_without_hooks_and_with_identity_hooks_everywhere_is_bit_identical_to_forward()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        var x = Tokens();
        var plain = Values(m.forward(x));
        Assert.Equal(plain, Values(m.Run(x)));
        var hooks = new Hooks();
        foreach (var site in HookSites.All(Tiny)) hooks.Add(site, a => a);
        foreach (var site in HookSites.All(Tiny).Where(s => HookSites.HeadAxis(s) >= 0)) hooks.Add(site, 1, a => a);
        Assert.Equal(plain, Values(m.Run(x, hooks)));
    }

    [Fact]
    public void A_pass_started_at_a_layer_from_the_models_input_to_it_gives_the_whole_passs_logits_bit_for_bit()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        var x = Tokens();
        // A head's queries scaled at layer 1: the hooks act from layer 1 on.
        var hooks = new Hooks().Add(HookSites.Q(1), 1, q => q * 0.5).Add(HookSites.Pattern(1), 0, p => p.flip(-1).tril().softmax(-1));
        Assert.Equal(1, hooks.FirstLayer);
        using var modelCache = new ActivationCache(n => n == HookSites.ResidPre(1));
        m.Run(x, cache: modelCache);
        using var whole = new ActivationCache(n => n == HookSites.Pattern(1));
        using var started = new ActivationCache(n => n == HookSites.Pattern(1));
        var a = m.Run(x, hooks, whole);
        var b = m.RunFrom(1, modelCache[HookSites.ResidPre(1)], hooks, started);
        Assert.Equal(Values(a), Values(b));
        Assert.Equal(Values(whole[HookSites.Pattern(1)]), Values(started[HookSites.Pattern(1)]));
        Assert.NotEqual(Values(m.forward(x)), Values(a));   // the hooks did act
        // Hooks before the start cannot act: refused, not ignored.
        Assert.Throws<ArgumentException>(() => m.RunFrom(1, modelCache[HookSites.ResidPre(1)], new Hooks().Add(HookSites.K(0), k => k)));
        Assert.Throws<ArgumentException>(() => m.RunFrom(1, modelCache[HookSites.ResidPre(1)], new Hooks().Add("hook_embed", e => e)));
        Assert.Equal(0, new Hooks().Add(HookSites.K(1), k => k).Add("ln_final.hook_normalized", n => n).FirstLayer);
    }

    [Fact]
    public void A_pass_for_some_rows_gives_the_whole_passs_logits_at_those_rows()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        var x = Tokens();   // [3, 10]: flat rows 0..29
        var hooks = new Hooks().Add(HookSites.Q(1), 1, q => q * 0.5).Add(HookSites.K(0), 0, k => k * 2);
        using var whole = m.Run(x, hooks);
        using var rows = torch.tensor(new long[] { 29, 0, 13, 14, 7 });   // any rows, in any order
        using var expected = whole.reshape(-1, Tiny.VocabSize).index_select(0, rows);
        using var part = m.Run(x, hooks, rows: rows);
        Assert.Equal(new long[] { 5, Tiny.VocabSize }, part.shape);
        // The same operations on fewer rows; a matrix product of another height may round its last bits otherwise.
        Assert.True(torch.allclose(part, expected, rtol: 1e-5, atol: 1e-6));
        Assert.False(torch.allclose(part, whole.reshape(-1, Tiny.VocabSize).narrow(0, 0, 5), rtol: 1e-3, atol: 1e-3));   // not just any rows
        // From a layer on, with the cache of a site before the cut.
        using var modelCache = new ActivationCache(n => n == HookSites.ResidPre(1));
        m.Run(x, hooks, modelCache);
        using var pattern = new ActivationCache(n => n == HookSites.Pattern(1));
        using var fromLayer = m.RunFrom(1, modelCache[HookSites.ResidPre(1)], new Hooks().Add(HookSites.Q(1), 1, q => q * 0.5), pattern, rows);
        Assert.True(torch.allclose(fromLayer, expected, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(new long[] { 3, 2, 10, 10 }, pattern[HookSites.Pattern(1)].shape);
        // A site after the cut would see only the rows: hooking or caching it is refused, not half done.
        foreach (var site in HookSites.AfterRows(Tiny))
        {
            Assert.Throws<ArgumentException>(() => m.Run(x, new Hooks().Add(site, a => a), rows: rows));
            Assert.Throws<ArgumentException>(() => m.Run(x, cache: new ActivationCache(n => n == site), rows: rows));
        }
        Assert.Contains("blocks.1.mlp.hook_post", HookSites.AfterRows(Tiny));
        Assert.DoesNotContain("blocks.0.mlp.hook_post", HookSites.AfterRows(Tiny));   // only the last block's
    }

    [Fact]
    public void Cache_records_every_site_with_TransformerLens_shapes()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        using var cache = new ActivationCache();
        m.Run(Tokens(), cache: cache);
        Assert.Equal(HookSites.All(Tiny).OrderBy(s => s), cache.Activations.Keys.OrderBy(s => s));
        Assert.Equal(new long[] { 3, 10, 2, 8 }, cache["blocks.1.attn.hook_q"].shape);
        Assert.Equal(new long[] { 3, 2, 10, 10 }, cache["blocks.0.attn.hook_pattern"].shape);
        Assert.Equal(new long[] { 3, 10, 32 }, cache["blocks.0.mlp.hook_post"].shape);
        Assert.Equal(new long[] { 3, 10, 16 }, cache["ln_final.hook_normalized"].shape);
        var pattern = cache["blocks.0.attn.hook_pattern"];
        Assert.True(torch.allclose(pattern.sum(-1), torch.ones(3, 2, 10), 1e-5, 1e-6));
        Assert.Equal(0.0, pattern.triu(1).abs().sum().item<float>());   // no attention to the future
    }

    [Fact]
    public void Cache_filter_keeps_only_matching_sites()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        using var cache = new ActivationCache(n => n.EndsWith("hook_k"));
        m.Run(Tokens(), cache: cache);
        Assert.Equal(["blocks.0.attn.hook_k", "blocks.1.attn.hook_k"], cache.Activations.Keys.OrderBy(s => s));
    }

    [Fact]
    public void A_per_head_hook_changes_only_its_head_zeroing_z_equals_zeroing_that_heads_W_O()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        var x = Tokens();
        var hooks = new Hooks().Add("blocks.0.attn.hook_z", 1, z => torch.zeros_like(z));
        using var cache = new ActivationCache(n => n == "blocks.0.attn.hook_z");
        var hooked = m.Run(x, hooks, cache);
        var z = cache["blocks.0.attn.hook_z"];
        Assert.Equal(0.0, z.select(2, 1).abs().sum().item<float>());
        Assert.NotEqual(0.0, z.select(2, 0).abs().sum().item<float>());

        var sd = m.ToTransformerLensStateDict();
        sd["blocks.0.attn.W_O"][1] = torch.zeros(8, 16);
        using var m2 = Make(cfg: Tiny);
        m2.LoadTransformerLensStateDict(sd, "edited");
        Assert.True(torch.allclose(hooked, m2.forward(x), 1e-5, 1e-5));
    }

    [Fact]
    public void Every_module_forward_works_on_its_own_and_composes_to_the_model()
    {
        using var m = Make();
        var tokens = Tokens();
        using var _ = torch.no_grad();
        // Attention, MLP and a block are ordinary TorchSharp modules: forward(x) alone, no mask or hooks to pass.
        var x = m.embed.forward(tokens) + m.pos_embed[..(int)tokens.shape[1]];
        var a = m.blocks[0].attn.forward(m.blocks[0].ln1.forward(x));
        Assert.Equal(x.shape, a.shape);
        Assert.Equal(x.shape, m.blocks[0].mlp.forward(x).shape);
        foreach (var block in m.blocks) x = block.forward(x);
        var manual = m.unembed.forward(m.ln_final.forward(x));
        Assert.True(manual.equal(m.forward(tokens)).all().item<bool>());
    }

    [Fact]
    public void Unknown_hook_site_is_a_user_error_listing_valid_sites()
    {
        using var m = Make();
        var e = Assert.Throws<UserError>(() => m.Run(Tokens(), new Hooks().Add("blocks.0.attn.hook_query", a => a)));
        Assert.Contains("blocks.0.attn.hook_q", e.Message);
        Assert.Contains("hook_query", e.Message);
    }

    [Fact]
    public void TransformerLens_state_dict_has_TL_names_and_shapes_and_round_trips()
    {
        using var m = Make();
        var sd = m.ToTransformerLensStateDict();
        Assert.Equal(new long[] { 2, 16, 8 }, sd["blocks.0.attn.W_Q"].shape);
        Assert.Equal(new long[] { 2, 8 }, sd["blocks.1.attn.b_K"].shape);
        Assert.Equal(new long[] { 2, 8, 16 }, sd["blocks.0.attn.W_O"].shape);
        Assert.Equal(new long[] { 16, 32 }, sd["blocks.0.mlp.W_in"].shape);
        Assert.Equal(new long[] { 16, 9 }, sd["unembed.W_U"].shape);
        Assert.Equal(new long[] { 12, 16 }, sd["pos_embed.W_pos"].shape);
        // q computed from W_Q by hand equals the hook_q activation.
        using var _ = torch.no_grad();
        using var cache = new ActivationCache();
        var x = Tokens();
        m.Run(x, cache: cache);
        var resid = cache["blocks.0.ln1.hook_normalized"];
        var q = torch.einsum("bpd,hde->bphe", resid, sd["blocks.0.attn.W_Q"]) + sd["blocks.0.attn.b_Q"];
        Assert.True(torch.allclose(q, cache["blocks.0.attn.hook_q"], 1e-5, 1e-5));

        using var m2 = Make(seed: 99);
        m2.LoadTransformerLensStateDict(sd, "sd");
        Assert.Equal(Values(m.forward(x)), Values(m2.forward(x)));
    }

    [Fact]
    public void Loading_a_state_dict_with_a_wrong_shape_or_missing_tensor_names_the_tensor()
    {
        using var m = Make();
        var sd = m.ToTransformerLensStateDict();
        sd["blocks.1.mlp.W_out"] = torch.zeros(31, 16);
        var e = Assert.Throws<UserError>(() => m.LoadTransformerLensStateDict(sd, "f.safetensors"));
        Assert.Contains("blocks.1.mlp.W_out", e.Message);
        Assert.Contains("[32, 16]", e.Message);
        sd.Remove("blocks.1.mlp.W_out");
        Assert.Contains("missing", Assert.Throws<UserError>(() => m.LoadTransformerLensStateDict(sd, "f")).Message);
    }

    /// <summary>
    /// A forward pass leaves only a few tensors in the caller's dispose scope, as many for 4 layers as for 1: each
    /// block frees its intermediates when it is done. Before, every intermediate of the pass stayed until the caller's
    /// scope ended — 2.8 GB of tensors at once in the code study's proxy stage.
    /// </summary>
    [Fact]
    public void A_forward_pass_leaves_no_more_tensors_in_the_callers_scope_for_more_layers()
    {
        int Left(int layers, bool hooked)
        {
            using var m = Make(cfg: Tiny with { Layers = layers });
            using var _ = torch.no_grad();
            var x = Tokens();
            using var cache = new ActivationCache(n => n.EndsWith("hook_pattern"));
            using var scope = torch.NewDisposeScope();
            var hooks = new Hooks().Add(HookSites.Q(0), 1, q => q * 0.5);
            var logits = hooked ? m.Run(x, hooks, cache) : m.forward(x);
            Assert.Equal(new long[] { 3, 10, 9 }, logits.shape);
            return scope.DisposablesCount;
        }
        foreach (var hooked in new[] { false, true })
        {
            int one = Left(1, hooked), four = Left(4, hooked);
            Assert.Equal(one, four);
            Assert.InRange(one, 1, 12);
        }
    }

    [Fact]
    public void A_hook_may_return_a_tensor_of_its_own_and_the_pass_leaves_it_alive()
    {
        using var m = Make();
        using var _ = torch.no_grad();
        var x = Tokens();
        using var own = torch.ones(3, 10, 16);
        var logits = m.Run(x, new Hooks().Add("blocks.0.hook_resid_post", _ => own));
        Assert.False(own.IsInvalid);
        Assert.Equal(30 * 16, own.sum().item<float>());
        // Block 1 saw the hook's tensor: the logits are those of the same constant fed to block 1.
        Assert.Equal(Values(m.RunFrom(1, own)), Values(logits));
    }
}
