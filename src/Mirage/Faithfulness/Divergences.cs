using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Faithfulness;

/// <summary>Divergences between the model's and a proxy's distributions, row-wise over the last axis.</summary>
public static class Divergences
{
    const double Ln2 = 0.69314718055994530942;

    /// <summary>Jensen–Shannon divergence in bits (base 2, so in [0, 1]) between probability rows p and q.</summary>
    public static Tensor Jsd(Tensor p, Tensor q)
    {
        // Explicit scalars, alive to the end of the call: TorchSharp's implicit ones are freed by the finalizer, which can
        // run while libtorch still reads them (ScalarLifetimeTests).
        using Scalar half = 0.5.ToScalar(), ln2 = Ln2.ToScalar();
        var m = (p + q).mul(half);
        return (KlRows(p, m) + KlRows(q, m)).mul(half).div(ln2);
    }

    /// <summary>KL(p ‖ q) in nats from log-probabilities (rows of log_softmax outputs).</summary>
    public static Tensor KlFromLogProbs(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum(-1);

    /// <summary>KL(p ‖ q) in nats for probability rows; terms with p = 0 count 0 (the 0·log 0 = 0 convention).</summary>
    static Tensor KlRows(Tensor p, Tensor q)
    {
        using var tiny = 1e-30.ToScalar();
        return (p * (p.clamp_min(tiny).log() - q.clamp_min(tiny).log())).sum(-1);
    }
}
