using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// The assignment of a fit set's points to their nearest centroids through the Lloyd iterations of one k-means fit,
/// recomputing at each iteration only the points whose nearest centroid may have changed. Late iterations move the
/// centroids little, and a point far nearer its own centroid than any other cannot change: the bounds of Hamerly
/// (2010), with the lower bound kept per group of centroids as in Yinyang k-means (Ding et al., 2015), prove it without
/// computing the point's distances. On the default study's largest fit (93,950 queries, 512 clusters) about a quarter
/// of the points are recomputed per iteration.
/// <para>
/// The result is bit-identical to recomputing every point with <see cref="KMeans.Assign"/>, which the tests check at
/// every iteration: a point that is recomputed goes through the same product (<see cref="KMeans.Distances"/>) and the
/// same <c>min</c>, so it gets the same row of float32 distances whatever other rows share its block. (Measured with
/// MKL on the Zen 4 and with 4 to 512 centroids of 16 to 128 dimensions: a row gets the same bits in any block of 6
/// rows or more. Blocks here have 16 rows or more, padded when fewer points are recomputed, and a fit set whose last
/// block in <see cref="KMeans.Assign"/> is shorter than that recomputes that block as it is, every time.) A point is
/// skipped only when its bounds, kept in float64, clear that float32 computation's rounding
/// (<see cref="RoundingScale"/>) by a margin: then its recomputed row would have named the same centroid.
/// </para>
/// </summary>
internal sealed class KMeansAssignment : IDisposable
{
    /// <summary>
    /// The float32 distance ‖c‖² − 2x·c is within about d·2⁻²⁴·(‖x‖ + ‖c‖)² of the exact one (a sum of d products and
    /// a norm); for d = 128 that is 8e-6·(‖x‖ + ‖c‖)². Bounds must clear 1e-4·(‖x‖ + max‖c‖)², more than ten times that.
    /// </summary>
    const double RoundingScale = 1e-4;
    /// <summary>
    /// Fewer centroids than this: every point is recomputed, as <see cref="KMeans.Assign"/> does. Below 32 centroids the
    /// bounds cost about as much as they save (measured on the default study's fit sets), and with 1–3 centroids MKL
    /// rounds a row differently depending on its block.
    /// </summary>
    const int MinCentroids = 32;
    /// <summary>Rows in the smallest block this class multiplies (see the class comment).</summary>
    const long MinRows = 16;
    /// <summary>Centroids per group of the lower bounds: tighter bounds with smaller groups, more work per point with more groups.</summary>
    const int GroupSize = 8;

    readonly Tensor _x;
    readonly int _c, _groups;
    readonly long _n, _tail;
    readonly bool _bounded;
    Tensor? _norm2, _norm, _assign, _upper, _lower;

    /// <summary>The points' current centroids ([n], int64; owned by this object).</summary>
    public Tensor Assignment => _assign ?? throw new InvalidOperationException("call Update first");

    /// <summary>Points recomputed over all updates so far, for the curious (the tests).</summary>
    public long Recomputed { get; private set; }

    public KMeansAssignment(Tensor x, int c)
    {
        _x = x; _c = c; _n = x.shape[0];
        _bounded = c >= MinCentroids;
        // Groups are strided — of t groups, group g holds centroids g, g + t, g + 2t, … — so a group's minimum is a
        // reduction over a middle dimension, which libtorch vectorises (over 8 adjacent centroids it took 8x as long).
        _groups = (c + GroupSize - 1) / GroupSize;
        long r = _n % KMeans.AssignChunk;
        _tail = r > 0 && r < MinRows ? r : 0;
        if (!_bounded) return;
        using var scope = torch.NewDisposeScope();
        _norm2 = x.to_type(ScalarType.Float64).square().sum(1).DetachFromDisposeScope();
        _norm = _norm2.sqrt().DetachFromDisposeScope();
    }

    /// <summary>Assigns every point to its nearest centroid; false when no point's centroid changed since the last call.</summary>
    public bool Update(Tensor centroids)
    {
        using var scope = torch.NewDisposeScope();
        if (!_bounded)
        {
            var next = KMeans.Assign(_x, centroids);
            bool changed = _assign is null || !next.equal(_assign).all().item<bool>();
            _assign?.Dispose();
            _assign = next.DetachFromDisposeScope();
            Recomputed += _n;
            return changed;
        }
        var terms = KMeans.DistanceTerms(centroids);
        var rounding = Rounding(centroids);
        // Explicit scalars, kept alive for the calls (ScalarLifetimeTests).
        using Scalar none = (-1L).ToScalar(), zero = 0.ToScalar(), two = 2.ToScalar();
        if (_assign is null)
        {
            // Every point, in KMeans.Assign's blocks, each stored as it is computed: no whole-set temporaries.
            _assign = torch.full(_n, none, ScalarType.Int64).DetachFromDisposeScope();
            _upper = torch.empty(_n, ScalarType.Float64).DetachFromDisposeScope();
            _lower = torch.empty(new[] { _n, _groups }, ScalarType.Float64).DetachFromDisposeScope();
            for (long i = 0; i < _n; i += KMeans.AssignChunk)
            {
                using var block = torch.NewDisposeScope();
                StoreRange(i, Math.Min(KMeans.AssignChunk, _n - i), terms, rounding);
            }
            Recomputed += _n;
            return true;
        }
        // Recompute a point unless its nearest other centroid is provably farther than its own by more than the rounding
        // (NaN compares false, so a NaN point is always recomputed).
        var recompute = _lower!.amin(1).clamp_min(zero).square().sub_(_upper!.square()).gt(rounding.mul(two)).logical_not_();
        using Scalar yes = true.ToScalar();
        if (_tail > 0) recompute.narrow(0, _n - _tail, _tail).fill_(yes);
        var rows = recompute.nonzero().squeeze(1);
        long m = rows.shape[0];
        Recomputed += m;
        bool any = false;
        long blocked = m - _tail;   // rows are ascending: the short last block, when there is one, is at their end
        for (long i = 0; i < blocked; i += KMeans.AssignChunk)
        {
            using var block = torch.NewDisposeScope();
            long len = Math.Min(KMeans.AssignChunk, blocked - i);
            var take = rows.narrow(0, i, len);
            // A block shorter than MinRows is padded with copies of its first row, whose results are dropped.
            var padded = len < MinRows ? torch.cat([take, take[0].expand(MinRows - len)]) : take;
            any |= Store(take, _x.index_select(0, padded), terms, rounding.index_select(0, padded), _norm2!.index_select(0, padded));
        }
        if (_tail > 0) any |= StoreRange(_n - _tail, _tail, terms, rounding);
        return any;
    }

    /// <summary>Loosens the bounds by how far each centroid moved (the triangle inequality).</summary>
    public void Moved(Tensor before, Tensor after)
    {
        if (!_bounded) return;
        using var scope = torch.NewDisposeScope();
        var drift = (after.to_type(ScalarType.Float64) - before.to_type(ScalarType.Float64)).square().sum(1).sqrt();
        _upper!.add_(drift.index_select(0, _assign!));
        _lower!.sub_(Padded(drift.unsqueeze(0), 0).view(GroupSize, _groups).amax(0).unsqueeze(0));
    }

    /// <summary>The rounding allowance of each point's float32 distances to these centroids ([n], float64).</summary>
    Tensor Rounding(Tensor centroids)
    {
        double largest = centroids.to_type(ScalarType.Float64).square().sum(1).max().sqrt().item<double>();
        using Scalar l = largest.ToScalar(), scale = RoundingScale.ToScalar();   // explicit: ScalarLifetimeTests
        return (_norm! + l).square().mul_(scale);
    }

    /// <summary>
    /// The nearest centroid of each of a block's points (<paramref name="x"/>, perhaps with padding rows after the
    /// first <paramref name="rows"/>.Length), as <see cref="KMeans.Assign"/> computes it, stored with an upper bound on
    /// the distance to it and, per group, a lower bound on the distance to every other centroid of the group. Returns
    /// whether any of these points changed centroid.
    /// </summary>
    bool Store(Tensor rows, Tensor x, (Tensor Norms, Tensor Scaled) terms, Tensor rounding, Tensor norm2)
    {
        long len = rows.shape[0];
        using Scalar inf = double.PositiveInfinity.ToScalar(), zero = 0.ToScalar();
        var d = KMeans.Distances(x, terms.Norms, terms.Scaled);
        var (v, ix) = d.min(1);
        d.scatter_(1, ix.unsqueeze(1), torch.full([d.shape[0], 1], inf, d.dtype));   // the nearest is not an "other"
        var others = Padded(d, double.PositiveInfinity).view(d.shape[0], GroupSize, _groups).amin(1);
        var upper = v.to_type(ScalarType.Float64).add_(norm2).add_(rounding).clamp_min_(zero).sqrt_();
        var lower = others.to_type(ScalarType.Float64).add_((norm2 - rounding).unsqueeze(1)).clamp_min_(zero).sqrt_();
        if (x.shape[0] > len) { ix = ix.narrow(0, 0, len); upper = upper.narrow(0, 0, len); lower = lower.narrow(0, 0, len); }
        bool changed = !ix.equal(_assign!.index_select(0, rows)).all().item<bool>();
        _assign!.index_copy_(0, rows, ix);
        _upper!.index_copy_(0, rows, upper);
        _lower!.index_copy_(0, rows, lower);
        return changed;
    }

    /// <summary>The points start … start + len − 1 as one block, as <see cref="KMeans.Assign"/> blocks them.</summary>
    bool StoreRange(long start, long len, (Tensor Norms, Tensor Scaled) terms, Tensor rounding)
    {
        using Scalar from = start.ToScalar(), to = (start + len).ToScalar(), one = 1L.ToScalar();   // explicit: ScalarLifetimeTests
        return Store(torch.arange(from, to, one, ScalarType.Int64), _x.narrow(0, start, len), terms, rounding.narrow(0, start, len), _norm2!.narrow(0, start, len));
    }

    /// <summary>[rows, c] widened to [rows, GroupSize × groups] with <paramref name="fill"/> when c is not a multiple.</summary>
    Tensor Padded(Tensor t, double fill)
    {
        long extra = (long)GroupSize * _groups - _c;
        if (extra == 0) return t;
        using Scalar f = fill.ToScalar();
        return torch.cat([t, torch.full([t.shape[0], extra], f, t.dtype)], 1);
    }

    public void Dispose()
    {
        foreach (var t in new[] { _norm2, _norm, _assign, _upper, _lower }) t?.Dispose();
    }
}
