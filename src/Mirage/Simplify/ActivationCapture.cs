using Mirage.Evaluation;
using Mirage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// Queries and keys of every attention head, captured once on a fit set at its real (non-PAD) positions and reused
/// across a whole sweep of proxies. <see cref="Sequence"/>/<see cref="Position"/> say where each point came from.
/// </summary>
public sealed class ActivationCapture : IDisposable
{
    readonly Tensor[] _q, _k;   // per layer: [N, heads, d_head]

    public int[] Sequence { get; }
    public int[] Position { get; }
    public long Count => Sequence.Length;

    ActivationCapture(Tensor[] q, Tensor[] k, int[] seq, int[] pos) { _q = q; _k = k; Sequence = seq; Position = pos; }

    public static ActivationCapture Run(HookedTransformer model, IReadOnlyList<int[]> sequences, int batchSize = Evaluation.Batches.EvalBatchSize)
    {
        using var noGrad = torch.no_grad();
        int layers = model.Config.Layers;
        var qs = Enumerable.Range(0, layers).Select(_ => new List<Tensor>()).ToArray();
        var ks = Enumerable.Range(0, layers).Select(_ => new List<Tensor>()).ToArray();
        var seq = new List<int>(); var pos = new List<int>();
        foreach (var idx in Batches.ByLength(sequences, batchSize))
        {
            using var scope = torch.NewDisposeScope();
            var seqs = Batches.Select(sequences, idx);
            var (input, _) = Batches.Make(seqs);
            // Row-major mask of real positions: the input of a length-L sequence has L-1 of them.
            long t = input.shape[1];
            var keep = new List<long>();
            for (int b = 0; b < seqs.Length; b++)
                for (int p = 0; p < seqs[b].Length - 1; p++) { keep.Add(b * t + p); seq.Add(idx[b]); pos.Add(p); }
            var rows = torch.tensor(keep.ToArray());
            using var cache = new ActivationCache(n => n.EndsWith(".attn.hook_q") || n.EndsWith(".attn.hook_k"));
            model.Run(input, cache: cache);
            for (int l = 0; l < layers; l++)
            {
                var q = cache[HookSites.Q(l)]; var k = cache[HookSites.K(l)];
                qs[l].Add(q.reshape(-1, q.shape[2], q.shape[3]).index_select(0, rows).DetachFromDisposeScope());
                ks[l].Add(k.reshape(-1, k.shape[2], k.shape[3]).index_select(0, rows).DetachFromDisposeScope());
            }
        }
        var qAll = qs.Select(l => torch.cat(l, 0).DetachFromDisposeScope()).ToArray();
        var kAll = ks.Select(l => torch.cat(l, 0).DetachFromDisposeScope()).ToArray();
        foreach (var part in qs.Concat(ks).SelectMany(l => l)) part.Dispose();
        return new ActivationCapture(qAll, kAll, seq.ToArray(), pos.ToArray());
    }

    /// <summary>One head's [N, d_head] queries and keys (views owned by this capture).</summary>
    public HeadActivations Head(int layer, int head) => new(_q[layer].select(1, head), _k[layer].select(1, head));

    public void Dispose()
    {
        foreach (var t in _q.Concat(_k)) t.Dispose();
    }
}
