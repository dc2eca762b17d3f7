using Mirage.Model;
using Mirage.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Training;

/// <summary>
/// The computation of one training step up to the optimizer's update, shared by <see cref="Trainer"/> and
/// <c>mirage bench train</c> so that the benchmark times exactly what training does: gradients zeroed, forward
/// pass, next-token cross-entropy (PAD targets ignored), backward pass, gradients clipped to a global norm.
/// </summary>
public static class GradientStep
{
    /// <summary>Returns the loss (read back, as the trainer logs it); the caller checks it and calls <see cref="AdamW.Step"/>.</summary>
    /// <param name="gradClip">Global gradient norm to clip to; 0 = no clipping.</param>
    public static double Compute(HookedTransformer model, AdamW opt, TorchSharp.Modules.Parameter[] parameters, Tensor input, Tensor target, double gradClip) =>
        Compute(model.forward, model.Config.VocabSize, opt, parameters, input, target, gradClip);

    /// <summary>The same step through another forward pass over the same parameters (the benchmark's bf16 variant).</summary>
    public static double Compute(Func<Tensor, Tensor> forward, int vocabSize, AdamW opt, TorchSharp.Modules.Parameter[] parameters, Tensor input, Tensor target,
        double gradClip)
    {
        var logits = forward(input);
        var loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocabSize), target.reshape(-1), ignore_index: Vocabulary.PadId);
        opt.ZeroGrad();
        loss.backward();
        if (gradClip > 0) torch.nn.utils.clip_grad_norm_(parameters, gradClip);
        return loss.item<float>();
    }
}
