using Mirage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// Low-rank queries and keys: each is replaced by the fit set's mean plus its projection on the top-r principal
/// directions (queries and keys each get their own basis). At r = d_head it is the identity up to float rounding.
/// </summary>
public sealed class PcaProxy(int rank) : Proxy
{
    public static readonly ProxyDescriptor Definition = new("pca", "fit-set mean + projection on the top-r principal directions (queries and keys each their own)",
        ProxyParameter.Rank, NeedsData: true, (r, _) => new PcaProxy(r!.Value));

    Projection? _q, _k;

    public override ProxyDescriptor Descriptor => Definition;
    public override int? Parameter => rank;

    protected override void FitCore(HeadActivations? data, HeadWeights weights)
    {
        _q?.Dispose(); _k?.Dispose();
        _q = Projection.Fit(data!.Queries, rank);
        _k = Projection.Fit(data.Keys, rank);
    }

    protected override Hooks MakeHooks(AttentionHead h) =>
        new Hooks().Add(HookSites.Q(h.Layer), h.Head, _q!.Apply).Add(HookSites.K(h.Layer), h.Head, _k!.Apply);

    public override void Dispose() { _q?.Dispose(); _k?.Dispose(); }

    /// <summary>x ↦ μ + (x − μ) V Vᵀ with V the top-r right singular vectors of the centred data.</summary>
    public sealed class Projection : IDisposable
    {
        public Tensor Mean { get; }
        /// <summary>[d, r], orthonormal columns, by decreasing variance.</summary>
        public Tensor Basis { get; }
        /// <summary>Fraction of the variance along each of the r directions.</summary>
        public double[] ExplainedVariance { get; }
        readonly Tensor _projector;

        Projection(Tensor mean, Tensor basis, double[] explained)
        {
            Mean = mean; Basis = basis; ExplainedVariance = explained;
            _projector = Keep(basis.matmul(basis.t()));
        }

        /// <param name="centred">
        /// False: no mean — the top-r directions of the raw second moment XᵀX, and x ↦ x V Vᵀ (a linear rank-r map;
        /// a centred rank-r projection plus its mean is an affine map of rank r + 1).
        /// </param>
        public static Projection Fit(Tensor x, int rank, bool centred = true)
        {
            using var scope = torch.NewDisposeScope();
            // float64 for the fit: the covariance of tens of thousands of points loses digits in float32.
            var x64 = x.to_type(ScalarType.Float64);
            var mean = centred ? x64.mean([0]) : torch.zeros(x64.shape[1], ScalarType.Float64);
            var deviations = x64 - mean;
            using Scalar n1 = Math.Max(1, x.shape[0] - 1).ToScalar(), floor = 1e-30.ToScalar();   // explicit: ScalarLifetimeTests
            var cov = deviations.t().matmul(deviations).div(n1);
            var (eval, evec) = torch.linalg.eigh(cov);               // ascending eigenvalues
            var order = eval.argsort(descending: true);
            var top = evec.index_select(1, order[..rank]);
            using var zero = 0.ToScalar();
            var ev = eval.index_select(0, order).clamp_min(zero);
            var explained = (ev[..rank] / ev.sum().clamp_min(floor)).data<double>().ToArray();
            return new Projection(Keep(mean.to_type(x.dtype)), Keep(top.to_type(x.dtype)), explained);
        }

        public Tensor Apply(Tensor x) => Mean + (x - Mean).matmul(_projector);

        /// <summary>Coordinates on the principal directions (for plots).</summary>
        public Tensor Project(Tensor x) => (x - Mean).matmul(Basis);

        public void Dispose() { Mean.Dispose(); Basis.Dispose(); _projector.Dispose(); }
    }
}
