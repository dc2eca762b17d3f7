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
        // log m once for both terms (the proxy stage computes this for every proxy, batch and split).
        var logM = LogClamped(m);
        return (KlRows(p, LogClamped(p), logM) + KlRows(q, LogClamped(q), logM)).mul(half).div(ln2);
    }

    /// <summary>KL(p ‖ q) in nats from log-probabilities (rows of log_softmax outputs).</summary>
    public static Tensor KlFromLogProbs(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum(-1);

    /// <summary>KL(p ‖ q) in nats for probability rows, from p and the clamped logs of p and q; terms with p = 0
    /// count 0 (the 0·log 0 = 0 convention: p·(log 1e-30 − …) is 0 there).</summary>
    static Tensor KlRows(Tensor p, Tensor logP, Tensor logQ) => (p * (logP - logQ)).sum(-1);

    static Tensor LogClamped(Tensor p)
    {
        using var tiny = 1e-30.ToScalar();
        return p.clamp_min(tiny).log_();
    }
}
