using Mirage.Model;

namespace Mirage.Simplify;

/// <summary>
/// Low-rank queries and keys without a mean: each is replaced by its projection on the top-r directions of the fit
/// set's uncentred second moment, x ↦ x V Vᵀ. Beside <see cref="PcaProxy"/> because a centred rank-r proxy keeps the
/// mean as well, so it is an affine map of rank r + 1; this one is a plain rank-r linear map, the same kind of object
/// as the rank-r <see cref="WeightSvdProxy"/>.
/// </summary>
public sealed class PcaUncentredProxy(int rank) : Proxy
{
    public static readonly ProxyDescriptor Definition = new("pca-uncentred", "projection on the top-r directions of the fit set's uncentred queries and keys (no mean added back)",
        ProxyParameter.Rank, NeedsData: true, (r, _) => new PcaUncentredProxy(r!.Value));

    PcaProxy.Projection? _q, _k;

    public override ProxyDescriptor Descriptor => Definition;
    public override int? Parameter => rank;

    protected override void FitCore(HeadActivations? data, HeadWeights weights)
    {
        _q?.Dispose(); _k?.Dispose();
        _q = PcaProxy.Projection.Fit(data!.Queries, rank, centred: false);
        _k = PcaProxy.Projection.Fit(data.Keys, rank, centred: false);
    }

    protected override Hooks MakeHooks(AttentionHead h) =>
        new Hooks().Add(HookSites.Q(h.Layer), h.Head, _q!.Apply).Add(HookSites.K(h.Layer), h.Head, _k!.Apply);

    public override void Dispose() { _q?.Dispose(); _k?.Dispose(); }
}
