using Mirage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// Clustered queries and keys: each vector is replaced by the nearest of c centroids (queries and keys clustered
/// separately). k-means++ initialisation from a seeded RNG (plain k-means++, not scikit-learn's greedy variant), then
/// Lloyd iterations on whole tensors, with scikit-learn's <c>KMeans</c> budget: one run (its <c>n_init="auto"</c> with
/// k-means++), at most 300 iterations, converged when the centroids move less than 1e-4 of the data's variance.
/// </summary>
public sealed class KMeansProxy(int clusters, int seed = 0, int restarts = KMeans.DefaultRestarts, int maxIterations = KMeans.DefaultMaxIterations) : Proxy
{
    public static readonly ProxyDescriptor Definition = new("kmeans", "the nearest of c centroids (k-means++ seeded, Lloyd to convergence; queries and keys clustered separately)",
        ProxyParameter.Clusters, NeedsData: true, (c, seed) => new KMeansProxy(c!.Value, seed));

    Tensor? _cq, _ck;

    public override ProxyDescriptor Descriptor => Definition;
    public override int? Parameter => clusters;

    protected override void FitCore(HeadActivations? data, HeadWeights weights)
    {
        if (data is null) throw new InvalidOperationException("kmeans is fitted on activations");
        if (clusters > data.Count) throw new UserError($"kmeans: {clusters} clusters but the fit set has only {data.Count} points; use fewer clusters or a larger --fit-n");
        _cq?.Dispose(); _ck?.Dispose();
        _cq = KMeans.Fit(data.Queries, clusters, seed, restarts, maxIterations, Cancel);
        _ck = KMeans.Fit(data.Keys, clusters, seed + 1, restarts, maxIterations, Cancel);
    }

    public Tensor QueryCentroids => _cq ?? throw new InvalidOperationException("fit the proxy first");

    protected override Hooks MakeHooks(AttentionHead h)
    {
        var (cq, ck) = (_cq!, _ck!);
        return new Hooks().Add(HookSites.Q(h.Layer), h.Head, q => KMeans.Nearest(q, cq)).Add(HookSites.K(h.Layer), h.Head, k => KMeans.Nearest(k, ck));
    }

    public override void Dispose() { _cq?.Dispose(); _ck?.Dispose(); }
}

/// <summary>k-means on the rows of a tensor.</summary>
public static class KMeans
{
    public const int DefaultRestarts = 1, DefaultMaxIterations = 300;
    /// <summary>scikit-learn's <c>tol</c>: the iterations stop once the centroids' summed squared shift is at most this
    /// fraction of the data's mean per-dimension variance (or no assignment changes).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Returns the [c, d] centroids with the lowest inertia over <paramref name="restarts"/> runs.</summary>
    /// <param name="cancel">Checked at every Lloyd iteration and every 32 k-means++ centres: a fit of 512 clusters on
    /// 90,000 points takes tens of seconds, and SIGTERM should not wait for it.</param>
    public static Tensor Fit(Tensor x, int c, int seed, int restarts = DefaultRestarts, int maxIterations = DefaultMaxIterations, CancellationToken cancel = default)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        double tolerance = Tolerance * x.var(0).mean().item<float>();
        Tensor? best = null; double bestInertia = double.PositiveInfinity;
        for (int r = 0; r < restarts; r++)
        {
            var centroids = PlusPlus(x, c, rng, cancel);
            // Recomputes, at each iteration, only the points whose nearest centroid may have changed: the same
            // assignment as recomputing all of them (KMeansAssignment says why), at a fraction of the cost.
            using var assignment = new KMeansAssignment(x, c);
            for (int it = 0; it < maxIterations; it++)
            {
                cancel.ThrowIfCancellationRequested();
                // One scope per iteration: each makes new centroids, and a hundred iterations must not pile them up.
                using var step = torch.NewDisposeScope();
                if (!assignment.Update(centroids)) break;   // no point changed centroid: converged
                var assign = assignment.Assignment;
                // Explicit scalars, kept alive for the calls (ScalarLifetimeTests).
                using Scalar one = 1.ToScalar(), zero = 0.ToScalar();
                var sums = torch.zeros_like(centroids).index_add_(0, assign, x, one);
                var counts = torch.bincount(assign, minlength: c).to_type(x.dtype).unsqueeze(1);
                // An empty cluster keeps its centroid rather than becoming NaN.
                var moved = torch.where(counts.gt(zero), sums / counts.clamp_min(one), centroids).MoveToOuterDisposeScope();
                double shift = (moved - centroids).square().sum().item<float>();
                assignment.Moved(centroids, moved);
                centroids.Dispose();
                centroids = moved;
                if (shift <= tolerance) break;
            }
            if (restarts == 1) return centroids.detach().clone().DetachFromDisposeScope();
            double inertia;
            using (torch.NewDisposeScope()) inertia = torch.cdist(x, centroids).min(1).values.square().sum().item<float>();
            if (inertia < bestInertia) { best?.Dispose(); bestInertia = inertia; best = centroids; }
            else centroids.Dispose();
        }
        return best!.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>
    /// k-means++: each new centre drawn with probability proportional to the squared distance to the nearest chosen
    /// one. The draw stays on tensors — a cumulative sum and a binary search, one number to the host per centre — so
    /// seeding 512 centres does not copy the fit set's distances to the host 512 times.
    /// </summary>
    static Tensor PlusPlus(Tensor x, int c, Random rng, CancellationToken cancel)
    {
        long n = x.shape[0];
        var chosen = new long[c];
        chosen[0] = rng.NextInt64(n);
        // ‖x − p‖² = ‖x‖² − 2 x·p + ‖p‖² with ‖x‖² computed once: one matrix-vector product per centre. (cdist to
        // each new centre made several elementwise passes over the whole fit set: 512 centres took most of a fit.)
        using Scalar minusTwo = (-2).ToScalar(), zero = 0.ToScalar();   // explicit: ScalarLifetimeTests
        var norms = x.square().sum(1);
        Tensor SquaredDistanceTo(long i)
        {
            var p = x[i];
            return x.mv(p).mul_(minusTwo).add_(norms).add_(p.dot(p)).clamp_min_(zero);   // rounding can dip below 0
        }
        var d2 = SquaredDistanceTo(chosen[0]);
        for (int i = 1; i < c; i++)
        {
            if (i % 32 == 0) cancel.ThrowIfCancellationRequested();
            using var step = torch.NewDisposeScope();
            // Summed in float64 and in index order: the same numbers as a sequential loop on the host.
            var cum = d2.to_type(ScalarType.Float64).cumsum(0);
            double total = cum[n - 1].item<double>();
            long pick;
            if (total <= 0) pick = rng.NextInt64(n);     // fewer distinct points than clusters: any point will do
            else
            {
                double u = rng.NextDouble() * total;
                // The first point whose running sum reaches u (a point of weight 0 can only be hit at u = 0 exactly).
                pick = Math.Min(n - 1, torch.searchsorted(cum, torch.tensor(new[] { u }, ScalarType.Float64)).item<long>());
            }
            chosen[i] = pick;
            var nearer = torch.minimum(d2, SquaredDistanceTo(pick)).MoveToOuterDisposeScope();
            d2.Dispose();
            d2 = nearer;
        }
        return x.index_select(0, torch.tensor(chosen));
    }

    /// <summary>Each row of x ([..., d]) replaced by its nearest centroid.</summary>
    public static Tensor Nearest(Tensor x, Tensor centroids)
    {
        using var scope = torch.NewDisposeScope();
        var idx = Assign(x.reshape(-1, x.shape[^1]), centroids);
        return centroids.index_select(0, idx).reshape(x.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Rows per block of the distance computation: a block of distances to 512 centroids is 8 MB.</summary>
    internal const long AssignChunk = 4096;

    /// <summary>
    /// The index of every row's nearest centroid: argmin over j of ‖x − c_j‖² = ‖x‖² − 2 x·c_j + ‖c_j‖², so of
    /// ‖c_j‖² − 2 x·c_j (scikit-learn's way), in blocks of rows. A whole [points × 512] distance matrix (~160 MB) was
    /// allocated afresh at every Lloyd iteration, and its page faults took a third of the time. Each block is one
    /// addmm of the centroids scaled by −2 (exact: a power of two) onto their norms — the same numbers as a product,
    /// a scaling and an addition, without two more passes over the block.
    /// </summary>
    public static Tensor Assign(Tensor x, Tensor centroids)
    {
        using var scope = torch.NewDisposeScope();
        var (norms, scaled) = DistanceTerms(centroids);
        long n = x.shape[0];
        var parts = new List<Tensor>();
        for (long i = 0; i < n; i += AssignChunk)
        {
            // Each block's distances freed before the next block: one 8 MB buffer reused, not a whole matrix's worth.
            using var block = torch.NewDisposeScope();
            // min(dim)'s indices, not argmin: the same index (the first of equal minima, as documented for both), and
            // libtorch's argmin over the last dimension took as long as the product itself (a quarter of a k-means sweep's
            // samples); min's kernel takes about two thirds of that.
            parts.Add(Distances(x.narrow(0, i, Math.Min(AssignChunk, n - i)), norms, scaled).min(1).indexes.MoveToOuterDisposeScope());
        }
        return (parts.Count == 1 ? parts[0] : torch.cat(parts)).MoveToOuterDisposeScope();
    }

    /// <summary>The centroids' squared norms [1, c] and the centroids scaled by −2, transposed [d, c].</summary>
    internal static (Tensor Norms, Tensor Scaled) DistanceTerms(Tensor centroids)
    {
        using Scalar minusTwo = (-2).ToScalar();   // explicit: ScalarLifetimeTests
        return (centroids.square().sum(1).unsqueeze(0), centroids.mul(minusTwo).t());
    }

    /// <summary>‖c_j‖² − 2 x·c_j for a block of rows ([rows, c]): ‖x − c_j‖² without the row's own ‖x‖².</summary>
    internal static Tensor Distances(Tensor rows, Tensor norms, Tensor scaled) => torch.addmm(norms, rows, scaled, beta: 1, alpha: 1);
}
