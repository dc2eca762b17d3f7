using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Training;

/// <summary>
/// Parameters, their gradients and AdamW's two moments laid out in four flat buffers, each parameter a view of its
/// segment, so that one elementwise operation updates all of them (what PyTorch's multi-tensor optimizers do). The
/// default Dyck model has 30 parameter tensors, so AdamW's 9 operations per tensor cost some 270 libtorch calls a step, most
/// on tensors too small to be worth a call.
/// <para>
/// The same bits as updating tensor by tensor. libtorch computes an element of a contiguous tensor on its vectorised
/// path (2 vectors at a time: up to 32 floats) unless it falls in the last few elements of a thread's chunk, which
/// take a scalar path whose fused multiply-adds may round differently. So only a parameter all of whose elements take
/// the vectorised path on its own joins the buffers, each segment starts at a multiple of 32, and each buffer (and the
/// matrices' segment, which weight decay updates alone) is padded so that its threads' chunks are multiples of 32
/// too. The others — Dyck's 43-entry unembedding bias — stay where they are and are updated one by one.
/// </para>
/// Matrices (dim ≥ 2) come first, so that weight decay, which applies only to them, is one operation too. The threads'
/// shares are those of the thread count when the buffers are made (the run's, set before the optimizer).
/// </summary>
internal sealed class FlatParameters : IDisposable
{
    const long Width = 32;                     // floats in libtorch's widest vectorised step (2 × AVX-512)
    const long GrainSize = 32_768;             // at::internal::GRAIN_SIZE: below it an operation runs on one thread

    readonly Dictionary<TorchSharp.Modules.Parameter, (long Offset, long[] Shape)> _segments = new(ReferenceEqualityComparer.Instance);

    public Tensor Values { get; }
    public Tensor Gradients { get; }
    public Tensor Moment1 { get; }
    public Tensor Moment2 { get; }

    /// <summary>The matrices' segment of <see cref="Values"/>: what weight decay applies to.</summary>
    public Tensor Matrices { get; }

    public FlatParameters(IReadOnlyList<TorchSharp.Modules.Parameter> parameters)
    {
        int threads = torch.get_num_threads();
        var flat = parameters.Where(p => AllVectorised(p.numel(), threads)).ToList();
        long offset = 0;
        foreach (var p in flat.Where(p => p.dim() >= 2)) offset = Place(p, offset);
        long matrices = offset = Padded(offset, threads);
        foreach (var p in flat.Where(p => p.dim() < 2)) offset = Place(p, offset);
        long total = Padded(offset, threads);
        using var _ = torch.no_grad();
        Values = torch.zeros(total).DetachFromDisposeScope();
        Gradients = torch.zeros(total).DetachFromDisposeScope();
        Moment1 = torch.zeros(total).DetachFromDisposeScope();
        Moment2 = torch.zeros(total).DetachFromDisposeScope();
        Matrices = Values.narrow(0, 0, matrices).DetachFromDisposeScope();
        foreach (var (p, (off, shape)) in _segments)
        {
            using var values = Segment(Values, off, shape);
            values.copy_(p);
            p.set_(values);
            p.grad = Segment(Gradients, off, shape);
        }
    }

    long Place(TorchSharp.Modules.Parameter p, long offset)
    {
        _segments[p] = (offset, p.shape);
        return offset + p.numel();
    }

    /// <summary>How many parameters live in the buffers.</summary>
    public int Count => _segments.Count;

    public bool Holds(TorchSharp.Modules.Parameter p) => _segments.ContainsKey(p);

    /// <summary>The parameter's first and second moments: views of its segments.</summary>
    public (Tensor ExpAvg, Tensor ExpAvgSq) MomentsOf(TorchSharp.Modules.Parameter p)
    {
        var (off, shape) = _segments[p];
        return (Segment(Moment1, off, shape), Segment(Moment2, off, shape));
    }

    static Tensor Segment(Tensor buffer, long offset, long[] shape) => buffer.narrow(0, offset, shape.Aggregate(1L, (a, b) => a * b)).view(shape).DetachFromDisposeScope();

    /// <summary>Whether an elementwise operation on <paramref name="n"/> contiguous floats takes the vectorised path for every element.</summary>
    internal static bool AllVectorised(long n, int threads)
    {
        long chunks = Math.Max(1, Math.Min(threads, (n + GrainSize - 1) / GrainSize));
        long chunk = (n + chunks - 1) / chunks;
        return n % Width == 0 && chunk % Width == 0;
    }

    /// <summary>The least length ≥ <paramref name="n"/> whose threads' chunks are all multiples of <see cref="Width"/>.</summary>
    internal static long Padded(long n, int threads)
    {
        long m = (n + Width - 1) / Width * Width;
        while (!AllVectorised(m, threads)) m += Width;
        return m;
    }

    public void Dispose()
    {
        Matrices.Dispose();
        Values.Dispose();
        Gradients.Dispose();
        Moment1.Dispose();
        Moment2.Dispose();
    }
}
