using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Model;

/// <summary>
/// Functions that replace activations at named hook sites during one forward pass (TransformerLens's
/// <c>run_with_hooks</c>). A hook receives the activation and returns the tensor to use instead (return the input to
/// only read it). A per-head hook sees one head's slice — for <c>hook_q/k/v/z</c> ([batch, pos, head, d_head]) a
/// [batch, pos, d_head] tensor, for <c>hook_attn_scores/hook_pattern</c> ([batch, head, q_pos, k_pos]) a
/// [batch, q_pos, k_pos] tensor — and the other heads pass through unchanged. Several hooks on one site run in the
/// order they were added. Tensors a hook makes inside a block belong to the dispose scope of the attention, MLP, block
/// or pass it runs in and are freed when that is done (a tensor the hook already owned is left alone): to keep an
/// activation, record it in an <see cref="ActivationCache"/>, which copies it.
/// </summary>
public sealed class Hooks
{
    public delegate Tensor HookFn(Tensor activation);

    readonly Dictionary<string, List<(int? Head, HookFn Fn)>> _bySite = new(StringComparer.Ordinal);

    public Hooks Add(string site, HookFn fn) => AddCore(site, null, fn);

    public Hooks Add(string site, int head, HookFn fn) => AddCore(site, head, fn);

    Hooks AddCore(string site, int? head, HookFn fn)
    {
        if (!_bySite.TryGetValue(site, out var list)) _bySite[site] = list = new();
        list.Add((head, fn));
        return this;
    }

    public IEnumerable<string> Sites => _bySite.Keys;

    public bool IsEmpty => _bySite.Count == 0;

    public bool Has(string site) => _bySite.ContainsKey(site);

    /// <summary>
    /// The first block any hook acts in: a pass with these hooks can start there (<see cref="HookedTransformer.RunFrom"/>)
    /// from the unhooked model's input to that block. 0 when a hook acts outside the blocks or there is none.
    /// </summary>
    public int FirstLayer => _bySite.Count == 0 ? 0 : _bySite.Keys.Select(HookSites.LayerOf).Aggregate(int.MaxValue, (a, l) => l is int v ? Math.Min(a, v) : 0);

    /// <summary>
    /// Applies the hooks registered for <paramref name="site"/>. <paramref name="headDim"/> is the tensor's head axis
    /// (2 for q/k/v/z, 1 for scores/pattern, -1 when the site has none).
    /// </summary>
    public Tensor Apply(string site, Tensor x, int headDim)
    {
        if (!_bySite.TryGetValue(site, out var list)) return x;
        foreach (var (head, fn) in list)
        {
            if (head is not int h) { x = fn(x); continue; }
            if (headDim < 0) throw new UserError($"hook site {site} has no head axis; a per-head hook cannot target head {h}");
            long heads = x.shape[headDim];
            if (h < 0 || h >= heads) throw new UserError($"hook site {site}: head {h} out of range 0..{heads - 1}");
            var parts = new Tensor[heads];
            for (int i = 0; i < heads; i++)
            {
                var slice = x.select(headDim, i);
                parts[i] = i == h ? fn(slice) : slice;
            }
            x = torch.stack(parts, headDim);
        }
        return x;
    }

    /// <summary>Merges several hook sets (proxies compose: several sites at once).</summary>
    public static Hooks Combine(IEnumerable<Hooks> sets)
    {
        var all = new Hooks();
        foreach (var s in sets)
            foreach (var (site, list) in s._bySite)
                foreach (var (head, fn) in list) all.AddCore(site, head, fn);
        return all;
    }
}
