using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>
/// What a data-fitted proxy learns from: one head's queries and keys at the real (non-PAD) positions of a fit set,
/// each [N, d_head]. Owned by the capture that produced them.
/// </summary>
public sealed record HeadActivations(Tensor Queries, Tensor Keys)
{
    public long Count => Queries.shape[0];
}
