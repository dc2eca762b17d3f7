using Mirage.Model;
using static TorchSharp.torch;

namespace Mirage.Simplify;

/// <summary>One head's query and key weights in TransformerLens layout (W_Q, W_K [d_model, d_head]; b_Q, b_K [d_head]), for data-independent proxies.</summary>
public sealed record HeadWeights(Tensor W_Q, Tensor b_Q, Tensor W_K, Tensor b_K)
{
    /// <summary>The head's weights out of a TransformerLens state dict (<see cref="HookedTransformer.ToTransformerLensStateDict"/>); views into its tensors.</summary>
    public static HeadWeights From(IReadOnlyDictionary<string, Tensor> stateDict, AttentionHead head)
    {
        string p = head.Site;
        return new HeadWeights(stateDict[$"{p}.W_Q"][head.Head], stateDict[$"{p}.b_Q"][head.Head], stateDict[$"{p}.W_K"][head.Head], stateDict[$"{p}.b_K"][head.Head]);
    }
}
