using Mirage.Model;
using Mirage.Native;
using Mirage.Simplify;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Tests;

public class SimplifyTests
{
    static readonly ModelConfig Tiny = new() { Layers = 2, Heads = 2, DModel = 16, DMlp = 32, ContextLength = 40, VocabSize = 7 };

    static HookedTransformer Model(int seed = 0)
    {
        TorchRuntime.Init();
        using var generator = new torch.Generator((ulong)seed);   // not the global one, which tests beside this one draw from
        var m = new HookedTransformer(Tiny, generator);
        m.eval();
        return m;
    }

    static HeadWeights Weights(HookedTransformer m, int layer, int head) => HeadWeights.From(m.ToTransformerLensStateDict(), new AttentionHead(layer, head));

    static (Tensor Input, List<int[]> Seqs) Data(int n = 12, int seed = 3)
    {
        var rng = new Random(seed);
        var seqs = Enumerable.Range(0, n).Select(_ => ToyTask.Sample(rng)).ToList();
        return (Evaluation.Batches.Make(seqs).Input, seqs);
    }

    static Tensor Logits(HookedTransformer m, Tensor input, Proxy? p)
    {
        using var _ = torch.no_grad();
        return p is null ? m.forward(input) : m.Run(input, p.Hooks());
    }

    [Fact]
    public void Identity_reproduces_the_logits_exactly()
    {
        using var m = Model();
        var (input, seqs) = Data();
        using var cap = ActivationCapture.Run(m, seqs);
        using var p = new IdentityProxy();
        p.Fit(cap.Head(1, 0), Weights(m, 1, 0), new AttentionHead(1, 0));
        Assert.Equal(Logits(m, input, null).data<float>().ToArray(), Logits(m, input, p).data<float>().ToArray());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    public void Pca_and_weight_svd_at_full_rank_reproduce_the_logits(int layer, int head)
    {
        using var m = Model();
        var (input, seqs) = Data();
        using var cap = ActivationCapture.Run(m, seqs);
        var reference = Logits(m, input, null);
        using var pca = new PcaProxy(8);
        pca.Fit(cap.Head(layer, head), Weights(m, layer, head), new AttentionHead(layer, head));
        Assert.True(torch.allclose(reference, Logits(m, input, pca), 1e-4, 1e-4));
        using var svd = new WeightSvdProxy(8);
        svd.Fit(null, Weights(m, layer, head), new AttentionHead(layer, head));
        Assert.True(torch.allclose(reference, Logits(m, input, svd), 1e-4, 1e-4));
        // ... and a rank-1 proxy really changes them (the splice is live: with no effect the logits would be bit-identical,
        // as the identity proxy's are). Not by a set amount: at initialisation (weights of scale 0.02) a head's scores
        // are near zero, so how far the logits move depends on the draw.
        using var low = new PcaProxy(1);
        low.Fit(cap.Head(layer, head), Weights(m, layer, head), new AttentionHead(layer, head));
        Assert.False(reference.equal(Logits(m, input, low)).all().item<bool>());
    }

    [Fact]
    public void Uncentred_pca_is_linear_exact_at_full_rank_and_differs_from_centred_pca_below_it()
    {
        using var m = Model();
        var (input, seqs) = Data();
        using var cap = ActivationCapture.Run(m, seqs);
        var head = new AttentionHead(1, 0);
        using var full = new PcaUncentredProxy(8);
        full.Fit(cap.Head(1, 0), Weights(m, 1, 0), head);
        Assert.True(torch.allclose(Logits(m, input, null), Logits(m, input, full), 1e-4, 1e-4));
        // Rank 2 without a mean is a linear map (0 stays 0) and not the centred proxy, which adds the mean back.
        using var p2 = PcaProxy.Projection.Fit(cap.Head(1, 0).Queries, 2, centred: false);
        Assert.Equal(0f, p2.Apply(torch.zeros(1, 8)).abs().max().item<float>(), 6);
        using var c2 = PcaProxy.Projection.Fit(cap.Head(1, 0).Queries, 2);
        var q = cap.Head(1, 0).Queries;
        Assert.False(torch.allclose(p2.Apply(q), c2.Apply(q), 1e-3, 1e-3));
        // Spliced, it changes the model's queries at that head.
        using var u2 = new PcaUncentredProxy(2);
        u2.Fit(cap.Head(1, 0), Weights(m, 1, 0), head);
        Assert.False(torch.allclose(Logits(m, input, null), Logits(m, input, u2), 1e-5, 1e-5));
    }

    [Fact]
    public void Kmeans_with_one_cluster_per_distinct_point_reproduces_the_fit_set()
    {
        using var m = Model();
        var (input, seqs) = Data(n: 3);
        using var cap = ActivationCapture.Run(m, seqs);
        var head = cap.Head(1, 1);
        int distinctQ = head.Queries.unique(dim: 0).Item1.shape[0] is var a ? (int)a : 0;
        int distinctK = (int)head.Keys.unique(dim: 0).Item1.shape[0];
        Assert.Equal(distinctQ, distinctK);   // both are one point per distinct (token, position) prefix here
        using var km = new KMeansProxy(distinctQ, seed: 1);
        km.Fit(head, Weights(m, 1, 1), new AttentionHead(1, 1));
        // Compare at real positions only: PAD positions' queries are not in the fit set.
        var (a0, b0) = (Logits(m, input, null), Logits(m, input, km));
        for (int i = 0; i < seqs.Count; i++)
            Assert.True(torch.allclose(a0[i, ..(seqs[i].Length - 1)], b0[i, ..(seqs[i].Length - 1)], 1e-5, 1e-5), $"sequence {i}");
    }

    [Fact]
    public void Onehot_on_a_head_that_is_already_one_hot_changes_nothing()
    {
        using var m = Model();
        var sd = m.ToTransformerLensStateDict();
        // Huge query weights make the softmax saturate: an exactly one-hot pattern in float32.
        sd["blocks.0.attn.W_Q"] *= 1e7; sd["blocks.0.attn.W_K"] *= 10; sd["blocks.0.attn.b_Q"] += 1;
        m.LoadTransformerLensStateDict(sd, "scaled");
        var (input, _) = Data();
        using var cache = new ActivationCache(n => n == "blocks.0.attn.hook_pattern");
        using (torch.no_grad()) m.Run(input, cache: cache);
        var pat = cache["blocks.0.attn.hook_pattern"].select(1, 0);
        Assert.True(pat.eq(0).logical_or(pat.eq(1)).all().item<bool>(), "test set-up: pattern should be exactly one-hot");
        using var p = new OneHotProxy();
        p.Fit(null, Weights(m, 0, 0), new AttentionHead(0, 0));
        Assert.Equal(Logits(m, input, null).data<float>().ToArray(), Logits(m, input, p).data<float>().ToArray());
        // On an ordinary head it does change the output.
        using var m2 = Model();
        Assert.False(torch.allclose(Logits(m2, input, null), Logits(m2, input, p), 1e-4, 1e-4));
    }

    [Fact]
    public void Onehot_picks_the_highest_key_and_the_most_recent_on_ties()
    {
        TorchRuntime.Init();
        var pattern = torch.tensor(new float[] { 1, 0, 0, 0.25f, 0.5f, 0.25f, 0.4f, 0.2f, 0.4f }, 1, 3, 3);
        var one = OneHotProxy.OneHot(pattern).reshape(9).data<float>().ToArray();
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, one);
    }

    [Fact]
    public void Pca_recovers_a_low_dimensional_affine_subspace_and_its_direction()
    {
        TorchRuntime.Init();
        torch.manual_seed(0);
        var basis = torch.linalg.qr(torch.randn(6, 2)).Q;                 // 2-d subspace of R^6
        var x = torch.randn(500, 2).matmul(basis.t()) + torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 });
        using var p2 = PcaProxy.Projection.Fit(x, 2);
        Assert.True(torch.allclose(p2.Apply(x), x, 1e-4, 1e-4));
        using var p1 = PcaProxy.Projection.Fit(x, 1);
        Assert.False(torch.allclose(p1.Apply(x), x, 1e-2, 1e-2));
        // Rank 1 on data stretched along one direction finds that direction.
        var dir = torch.tensor(new float[] { 0.6f, 0.8f, 0, 0, 0, 0 });
        var y = torch.randn(1000, 1) * 10 * dir + torch.randn(1000, 6) * 0.1;
        using var py = PcaProxy.Projection.Fit(y, 1);
        Assert.True(Math.Abs(py.Basis.squeeze(1).dot(dir).item<float>()) > 0.999);
        Assert.True(py.ExplainedVariance[0] > 0.95);
    }

    [Fact]
    public void Kmeans_recovers_separated_blobs_and_is_deterministic_for_a_seed()
    {
        TorchRuntime.Init();
        torch.manual_seed(1);
        var centres = torch.tensor(new float[] { 0, 0, 10, 10, -10, 10 }, 3, 2);
        var x = torch.cat([centres[0] + torch.randn(50, 2) * 0.1, centres[1] + torch.randn(50, 2) * 0.1, centres[2] + torch.randn(50, 2) * 0.1]);
        var c1 = KMeans.Fit(x, 3, seed: 5, restarts: 3, maxIterations: 50);
        var c2 = KMeans.Fit(x, 3, seed: 5, restarts: 3, maxIterations: 50);
        Assert.Equal(c1.data<float>().ToArray(), c2.data<float>().ToArray());
        // Every true centre has a fitted centroid within 0.1.
        Assert.True(torch.cdist(centres, c1).min(1).values.max().item<float>() < 0.1);
    }

    [Fact]
    public void Kmeans_assignment_is_the_argmin_of_the_distances_and_takes_the_first_of_tied_centroids()
    {
        TorchRuntime.Init();
        torch.manual_seed(3);
        // More rows than one block of the assignment, so blocks are joined; centroid 5 repeats centroid 2 exactly, and
        // some points sit on centroid 2, so their nearest two are tied at distance 0 and must go to the lower index.
        using var x = torch.cat([torch.randn(9000, 16), torch.randn(1, 16).expand(40, 16)]);
        var c = torch.randn(8, 16);
        c[5] = c[2];
        x.narrow(0, 9000, 40).copy_(c[2].expand(40, 16));
        using var assign = KMeans.Assign(x, c);
        using var expected = torch.addmm(c.square().sum(1).unsqueeze(0), x, c.mul(-2).t(), beta: 1, alpha: 1).argmin(1);
        Assert.Equal(expected.data<long>().ToArray(), assign.data<long>().ToArray());
        Assert.All(assign.narrow(0, 9000, 40).data<long>().ToArray(), i => Assert.Equal(2, i));
        Assert.DoesNotContain(5L, assign.data<long>().ToArray());
    }

    [Theory]
    [InlineData(8197, 32, 64, 2)]   // a last block of 5 rows, queries strided as one head of two, c a multiple of 8
    [InlineData(5000, 16, 37, 1)]   // c not a multiple of the group size
    public void Kmeans_lloyd_recomputing_only_what_may_change_assigns_every_point_as_the_full_computation(int n, int d, int c, int heads)
    {
        TorchRuntime.Init();
        using var g = new torch.Generator(11);
        // Clustered points, so that late iterations move few of them (what the bounds exploit).
        using var centres = torch.randn(new long[] { c, d }, generator: g) * 3;
        using var all = torch.randn(new long[] { n, heads, d }, generator: g) + centres.index_select(0, torch.randint(c, new long[] { n }, generator: g)).unsqueeze(1);
        var x = all.select(1, heads - 1);
        var centroids = x.index_select(0, torch.randperm(n, generator: g).narrow(0, 0, c)).clone();
        using var assignment = new KMeansAssignment(x, c);
        int iterations = 0;
        while (iterations < 100)
        {
            using var expected = KMeans.Assign(x, centroids);
            var before = iterations == 0 ? null : assignment.Assignment.clone();
            bool changed = assignment.Update(centroids);
            Assert.Equal(expected.data<long>().ToArray(), assignment.Assignment.data<long>().ToArray());
            Assert.Equal(before is null || !before.equal(expected).all().item<bool>(), changed);
            iterations++;
            if (!changed) break;
            var sums = torch.zeros_like(centroids).index_add_(0, expected, x, 1.ToScalar());
            var counts = torch.bincount(expected, minlength: c).to_type(x.dtype).unsqueeze(1);
            var moved = torch.where(counts.gt(0.ToScalar()), sums / counts.clamp_min(1.ToScalar()), centroids);
            assignment.Moved(centroids, moved);
            centroids = moved;
        }
        Assert.True(iterations > 3, $"converged in {iterations} iterations: too few to test the bounds");
        // The bounds spared work: fewer points recomputed than every point at every iteration.
        Assert.True(assignment.Recomputed < (long)n * iterations * 3 / 4, $"{assignment.Recomputed} of {(long)n * iterations} points recomputed");
    }

    [Fact]
    public void A_kmeans_fit_stops_when_its_token_is_cancelled()
    {
        // The proxy stage passes its SIGINT/SIGTERM token down to every fit; k-means is the fit that takes seconds.
        TorchRuntime.Init();
        torch.manual_seed(2);
        using var x = torch.randn(2000, 8);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => KMeans.Fit(x, 64, seed: 1, cancel: cancelled.Token));
        var proxy = new KMeansProxy(64, seed: 1);
        using var model = Model();
        var sd = model.ToTransformerLensStateDict();
        Assert.Throws<OperationCanceledException>(() => proxy.Fit(new HeadActivations(x, x), HeadWeights.From(sd, new AttentionHead(0, 0)), new AttentionHead(0, 0), cancelled.Token));
        // Not cancelled, the same fit runs.
        using var c = KMeans.Fit(x, 64, seed: 1, cancel: CancellationToken.None);
        Assert.Equal(new long[] { 64, 8 }, c.shape);
        foreach (var t in sd.Values) t.Dispose();
    }

    [Fact]
    public void Weight_svd_at_rank_r_equals_the_direct_truncation_of_the_augmented_bilinear_form()
    {
        using var m = Model(seed: 4);
        var w = Weights(m, 0, 1);
        using var p = new WeightSvdProxy(3);
        p.Fit(null, w, new AttentionHead(0, 1));
        var a = torch.cat([w.W_Q, w.b_Q.unsqueeze(0)], 0).to_type(ScalarType.Float64);
        var b = torch.cat([w.W_K, w.b_K.unsqueeze(0)], 0).to_type(ScalarType.Float64);
        var (u, s, vh) = torch.linalg.svd(a.matmul(b.t()), fullMatrices: false);
        var direct = (u[.., ..3] * s[..3]).matmul(vh[..3]);
        var viaM = a.matmul(p.M.to_type(ScalarType.Float64)).matmul(b.t());
        Assert.True(torch.allclose(direct, viaM, 1e-4, 1e-4));
        using var full = new WeightSvdProxy(8);
        full.Fit(null, w, new AttentionHead(0, 1));
        Assert.True(torch.allclose(full.M, torch.eye(8), 1e-3, 1e-3));
    }

    [Fact]
    public void Catalog_rejects_unknown_names_and_impossible_parameters()
    {
        Assert.Contains("valid proxies: identity, pca", Assert.Throws<UserError>(() => ProxyCatalog.CheckName("pcb")).Message);
        Assert.Contains("--oracle", Assert.Throws<UserError>(() => ProxyCatalog.CheckName("oracle-pca")).Message);   // a fit option now
        Assert.Contains("valid proxies", Assert.Throws<UserError>(() => ProxyCatalog.CheckName("oracle-onehot")).Message);
        Assert.Contains("between 1 and d_head = 128", Assert.Throws<UserError>(() => PcaProxy.Definition.CheckParameter(256, 128, 1000, "pca")).Message);
        Assert.Contains("1000 points", Assert.Throws<UserError>(() => KMeansProxy.Definition.CheckParameter(5000, 128, 1000, "kmeans")).Message);
        Assert.Equal(new int?[] { 1, 2, 4, 8, 16, 32, 64, 128 }, ProxyCatalog.Parse("pca").Descriptor.DefaultSweep(128));
        Assert.Equal(new int?[] { 2, 4, 8, 16, 32, 64 }, ProxyCatalog.Parse("kmeans").Descriptor.DefaultSweep(128));
        Assert.Equal(new int?[] { null }, ProxyCatalog.Parse("onehot").Descriptor.DefaultSweep(128));
    }

    [Fact]
    public void Every_registered_proxy_describes_itself_and_its_factory_builds_one_of_its_kind()
    {
        Assert.Equal(ProxyCatalog.All.Count, ProxyCatalog.All.Select(d => d.Name).Distinct().Count());
        foreach (var d in ProxyCatalog.All)
        {
            using var p = d.Create(d.HasParameter ? 2 : null, seed: 0);
            Assert.Same(d, p.Descriptor);
            Assert.Equal(d.Name, p.Name);
            Assert.Equal(d.HasParameter ? 2 : null, p.Parameter);
            Assert.Equal(d.HasParameter, d.Symbol is not null);
        }
    }

    [Fact]
    public void A_proxy_belongs_to_the_head_it_was_fitted_on()
    {
        using var m = Model();
        var (input, seqs) = Data();
        using var cap = ActivationCapture.Run(m, seqs);
        using var pca = new PcaProxy(1);
        Assert.Throws<InvalidOperationException>(() => pca.Hooks());   // not fitted: no head to splice into
        var head = new AttentionHead(1, 1);
        pca.Fit(cap.Head(1, 1), Weights(m, 1, 1), head);
        Assert.Equal(head, pca.Head);
        Assert.Equal([HookSites.K(1), HookSites.Q(1)], pca.Hooks().Sites.Order(StringComparer.Ordinal));
        // Spliced: head 1 of block 1 changes, head 0 does not see the proxy (its queries pass through).
        using var cache = new ActivationCache(n => n == HookSites.Q(1));
        using (torch.no_grad()) m.Run(input, pca.Hooks(), cache);
        using var plain = new ActivationCache(n => n == HookSites.Q(1));
        using (torch.no_grad()) m.Run(input, cache: plain);
        Assert.True(plain[HookSites.Q(1)].select(2, 0).equal(cache[HookSites.Q(1)].select(2, 0)).all().item<bool>());
        Assert.False(plain[HookSites.Q(1)].select(2, 1).equal(cache[HookSites.Q(1)].select(2, 1)).all().item<bool>());
    }
}
