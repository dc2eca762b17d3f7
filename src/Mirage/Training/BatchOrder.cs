namespace Mirage.Training;

/// <summary>
/// Which training sequences make up the batch of each step. The order is a pure function of (seed, step) — no RNG
/// state to carry — so a resumed run sees exactly the batches an uninterrupted run would. Each epoch is a fresh
/// shuffle; consecutive pools of <c>bucketBatches</c> batches are sorted by length before being cut into batches (so
/// a batch holds sequences of similar length and padding stays small), and the batches of an epoch are then shuffled.
/// </summary>
public sealed class BatchOrder
{
    readonly IReadOnlyList<int> _lengths;
    readonly int _batchSize, _bucketBatches, _seed;
    int _cachedEpoch = -1;
    int[][] _epochBatches = [];

    public BatchOrder(IReadOnlyList<int> lengths, int batchSize, int bucketBatches, int seed)
    {
        if (lengths.Count == 0) throw new UserError("the training split is empty");
        _lengths = lengths;
        _batchSize = Math.Min(batchSize, lengths.Count);
        _bucketBatches = bucketBatches;
        _seed = seed;
    }

    public int BatchesPerEpoch => _lengths.Count / _batchSize;

    /// <summary>Indices of the training sequences in the batch of <paramref name="step"/>.</summary>
    public int[] Batch(long step)
    {
        int epoch = (int)(step / BatchesPerEpoch);
        if (epoch != _cachedEpoch) { _epochBatches = BuildEpoch(epoch); _cachedEpoch = epoch; }
        return _epochBatches[step % BatchesPerEpoch];
    }

    int[][] BuildEpoch(int epoch)
    {
        // StableHash, never HashCode.Combine: .NET seeds HashCode randomly per process, so a resumed run would see
        // other batches than an uninterrupted one.
        var rng = new Random(StableHash.Of("batch-order", _seed, epoch));
        var order = Enumerable.Range(0, _lengths.Count).ToArray();
        rng.Shuffle(order);
        var batches = new List<int[]>(BatchesPerEpoch);
        int pool = _batchSize * _bucketBatches;
        for (int start = 0; start + _batchSize <= order.Length && batches.Count < BatchesPerEpoch; start += pool)
        {
            var chunk = order.AsSpan(start, Math.Min(pool, order.Length - start)).ToArray();
            // Stable sort by length: ties keep the shuffled order, so the result depends only on the seed.
            var sorted = chunk.OrderBy(i => _lengths[i]).ToArray();
            for (int b = 0; b + _batchSize <= sorted.Length && batches.Count < BatchesPerEpoch; b += _batchSize)
                batches.Add(sorted[b..(b + _batchSize)]);
        }
        var result = batches.ToArray();
        rng.Shuffle(result);
        return result;
    }
}
