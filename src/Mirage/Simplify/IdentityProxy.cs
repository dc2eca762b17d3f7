using Mirage.Model;

namespace Mirage.Simplify;

/// <summary>Replaces the queries and keys with themselves: must reproduce the model's logits exactly (a guard on the splice machinery).</summary>
public sealed class IdentityProxy : Proxy
{
    public static readonly ProxyDescriptor Definition = new("identity", "the head's own queries and keys (a guard: must reproduce the model)",
        ProxyParameter.None, NeedsData: false, (_, _) => new IdentityProxy());

    public override ProxyDescriptor Descriptor => Definition;
    protected override void FitCore(HeadActivations? data, HeadWeights weights) { }
    protected override Hooks MakeHooks(AttentionHead h) => new Hooks().Add(HookSites.Q(h.Layer), h.Head, q => q).Add(HookSites.K(h.Layer), h.Head, k => k);
}
