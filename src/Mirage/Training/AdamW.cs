using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter), the same update as torch.optim.AdamW (amsgrad off). Written out rather than taken
/// from TorchSharp so its whole state — the step count and the two moment tensors per parameter — is plain named
/// tensors we save to safetensors beside the weights; that is what makes a resumed run bit-identical to an
/// uninterrupted one. Weight decay applies only to matrices (dim >= 2), as in nanoGPT: not to biases or LayerNorm gains.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly (string Name, TorchSharp.Modules.Parameter P)[] _params;
    readonly Dictionary<string, (Tensor ExpAvg, Tensor ExpAvgSq)> _state = new();
    readonly TrainConfig _c;
    readonly FlatParameters _flat;

    public long StepCount { get; private set; }

    /// <summary>How many parameters are updated together in flat buffers (<see cref="FlatParameters"/>); the rest one by one.</summary>
    internal int FlatParameterCount => _flat.Count;

    public AdamW(IEnumerable<(string Name, TorchSharp.Modules.Parameter P)> namedParameters, TrainConfig config)
    {
        _params = namedParameters.ToArray();
        _c = config;
        _flat = new FlatParameters(_params.Select(np => np.P).ToArray());
        foreach (var (name, p) in _params)
            _state[name] = _flat.Holds(p) ? _flat.MomentsOf(p)
                : (torch.zeros_like(p).DetachFromDisposeScope(), torch.zeros_like(p).DetachFromDisposeScope());
    }

    public void ZeroGrad()
    {
        _flat.Gradients.zero_();
        foreach (var (_, p) in _params) if (!_flat.Holds(p)) p.grad?.zero_();
    }

    public void Step(double lr)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        StepCount++;
        double bc1 = 1 - Math.Pow(_c.Beta1, StepCount), bc2 = 1 - Math.Pow(_c.Beta2, StepCount);
        double stepSize = lr / bc1, bc2Sqrt = Math.Sqrt(bc2);
        // Every scalar made once per step and disposed after it, never an implicit conversion: TorchSharp frees those
        // only from the finalizer, which can run while libtorch still reads them (ScalarLifetimeTests).
        using Scalar decay = (1 - lr * _c.WeightDecay).ToScalar(), beta1 = _c.Beta1.ToScalar(), oneMinusBeta1 = (1 - _c.Beta1).ToScalar(),
            beta2 = _c.Beta2.ToScalar(), oneMinusBeta2 = (1 - _c.Beta2).ToScalar(), sqrtBc2 = bc2Sqrt.ToScalar(), eps = _c.Eps.ToScalar(),
            minusStep = (-stepSize).ToScalar();
        // The parameters laid out in one buffer take each operation once for all of them (some 270 small operations
        // a step become 9); the few others, one by one. Both compute every element exactly as before (FlatParameters).
        // A parameter in the buffers always has a gradient (a view, zeroed each step), so one the loss did not reach
        // is still decayed, as torch.optim.AdamW does with gradients zeroed rather than set to None; the models here
        // use every parameter.
        if (_c.WeightDecay > 0) _flat.Matrices.mul_(decay);
        Update(_flat.Values, _flat.Gradients, _flat.Moment1, _flat.Moment2);
        foreach (var (name, p) in _params)
        {
            var g = p.grad;
            if (g is null || _flat.Holds(p)) continue;
            var (m, v) = _state[name];
            if (_c.WeightDecay > 0 && p.dim() >= 2) p.mul_(decay);
            Update(p, g, m, v);
        }

        void Update(Tensor p, Tensor g, Tensor m, Tensor v)
        {
            m.mul_(beta1).add_(g, alpha: oneMinusBeta1);
            v.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
            var denom = v.sqrt().div_(sqrtBc2).add_(eps);
            p.addcdiv_(m, denom, value: minusStep);
        }
    }

    /// <summary>The moments as named tensors (<c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>), for a checkpoint.</summary>
    public Dictionary<string, Tensor> StateTensors()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (name, (m, v)) in _state) { d["exp_avg." + name] = m; d["exp_avg_sq." + name] = v; }
        return d;
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, long stepCount, string source)
    {
        using var _ = torch.no_grad();
        foreach (var (name, (m, v)) in _state)
        {
            foreach (var (key, dst) in new[] { ("exp_avg." + name, m), ("exp_avg_sq." + name, v) })
            {
                if (!tensors.TryGetValue(key, out var src)) throw new UserError($"{source}: optimizer state '{key}' is missing");
                if (!src.shape.SequenceEqual(dst.shape)) throw new UserError($"{source}: optimizer state '{key}' has shape [{string.Join(",", src.shape)}], expected [{string.Join(",", dst.shape)}]");
                dst.copy_(src);
            }
        }
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var (m, v) in _state.Values) { m.Dispose(); v.Dispose(); }
        _flat.Dispose();
    }
}
