using Mirage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// Data-independent simplification: the head's bilinear form W_Q W_Kᵀ, on the input augmented with a constant 1 so
/// biases are included (A = [W_Q; b_Q], B = [W_K; b_K], each (d_model+1) × d_head), truncated to rank r by SVD.
/// Spliced as q ↦ q M with M = Ra⁻¹ U_r S_r V_rᵀ Rb⁻ᵀ, where A = Qa Ra and B = Qb Rb (QR) and Ra Rbᵀ = U S Vᵀ:
/// then q M kᵀ = x̃ Qa U_r S_r V_rᵀ Qbᵀ x̃ᵀ, exactly the rank-r truncation of x̃ A Bᵀ x̃ᵀ. At full rank M = I.
/// A singular Ra (a head using fewer than d_head directions) is handled with the pseudo-inverse.
/// </summary>
public sealed class WeightSvdProxy(int rank) : Proxy
{
    public static readonly ProxyDescriptor Definition = new("weight-svd", "rank-r SVD truncation of the head's bias-augmented W_Q W_Kᵀ (no data)",
        ProxyParameter.Rank, NeedsData: false, (r, _) => new WeightSvdProxy(r!.Value));

    Tensor? _m;

    public override ProxyDescriptor Descriptor => Definition;
    public override int? Parameter => rank;

    public Tensor M => _m ?? throw new InvalidOperationException("fit the proxy first");

    protected override void FitCore(HeadActivations? data, HeadWeights w)
    {
        _m?.Dispose();
        using var scope = torch.NewDisposeScope();
        var a = torch.cat([w.W_Q, w.b_Q.unsqueeze(0)], 0).to_type(ScalarType.Float64);
        var b = torch.cat([w.W_K, w.b_K.unsqueeze(0)], 0).to_type(ScalarType.Float64);
        var (_, ra) = torch.linalg.qr(a);
        var (_, rb) = torch.linalg.qr(b);
        var (u, s, vh) = torch.linalg.svd(ra.matmul(rb.t()), fullMatrices: false);
        var core = (u[.., ..rank] * s[..rank]).matmul(vh[..rank]);
        var m = torch.linalg.pinv(ra).matmul(core).matmul(torch.linalg.pinv(rb).t());
        _m = Keep(m.to_type(w.W_Q.dtype));
    }

    protected override Hooks MakeHooks(AttentionHead h)
    {
        var m = M;
        return new Hooks().Add(HookSites.Q(h.Layer), h.Head, q => q.matmul(m));
    }

    public override void Dispose() => _m?.Dispose();
}
