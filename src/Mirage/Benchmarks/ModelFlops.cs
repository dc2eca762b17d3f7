using Mirage.Model;

namespace Mirage.Benchmarks;

/// <summary>
/// Model FLOPs per token of the <see cref="HookedTransformer"/>: the matrix products its forward pass needs, counted
/// at 2 FLOPs per multiply-add, the usual basis of "model FLOP utilisation" (PaLM, appendix B). Per token of a row of
/// T positions, with d = d_model, A = heads × d_head (the attention width), F = d_mlp, V = vocabulary, per layer:
/// <list type="bullet">
/// <item>fused q/k/v linear: 2 · d · 3A</item>
/// <item>scores q·kᵀ: 2 · T · A (each query against all T keys of its row, in every head)</item>
/// <item>pattern × v: 2 · T · A</item>
/// <item>out projection: 2 · A · d</item>
/// <item>MLP in and out: 2 · d · F + 2 · F · d</item>
/// </list>
/// plus the unembedding once: 2 · d · V. So forward = 2 · P + 4 · L · T · A, where P = L · (3dA + Ad + 2dF) + dV are
/// the matmul parameters (weights only; biases are additions). Training = 3 × forward: the backward pass does two
/// products for each one of the forward pass (gradient with respect to the input and to the weight).
/// <para>
/// Not counted: the token and position embeddings (a lookup and an addition, no product), layer norms, the scale,
/// mask and softmax of the scores, GELU, biases, residual additions, the loss and the optimizer. They cost time —
/// for a model this narrow a large share of it — but no matrix product, so counting them would flatter the
/// utilisation. The attention products are counted over the whole T × T square that the dense kernels compute, not
/// the causal half that matters (as PaLM counts them); a kernel that skipped the masked half would need less.
/// </para>
/// Default Dyck model (L 2, d 128, A 128, F 512, V 43): P = 398,720; at T = 63 forward 0.862 MFLOP, training
/// 2.586 MFLOP per token.
/// </summary>
public static class ModelFlops
{
    /// <summary>Entries of the weight matrices that take part in matrix products (embeddings and biases excluded).</summary>
    public static long MatmulParameters(ModelConfig c)
    {
        long d = c.DModel, a = (long)c.Heads * c.HeadDim, f = c.DMlp;
        return c.Layers * (3 * d * a + a * d + 2 * d * f) + d * c.VocabSize;
    }

    /// <summary>Forward-pass FLOPs per token of a row of <paramref name="positions"/> positions (inference).</summary>
    public static double ForwardPerToken(ModelConfig c, int positions) =>
        2.0 * MatmulParameters(c) + 4.0 * c.Layers * positions * c.Heads * c.HeadDim;

    /// <summary>Forward and backward FLOPs per trained token of a row of <paramref name="positions"/> positions.</summary>
    public static double TrainingPerToken(ModelConfig c, int positions) => 3 * ForwardPerToken(c, positions);
}
