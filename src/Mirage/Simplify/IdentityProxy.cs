using Mirage.Model;

namespace Mirage.Simplify;

/// <summary>Replaces the queries with themselves: must reproduce the model's logits exactly (a guard on the splice machinery).</summary>
public sealed class IdentityProxy : Proxy
{
    public override string Name => "identity";
    public override void Fit(HeadActivations? data, HeadWeights weights) { }
    public override Hooks Hooks(int layer, int head) => new Hooks().Add(Q(layer), head, q => q).Add(K(layer), head, k => k);
}
