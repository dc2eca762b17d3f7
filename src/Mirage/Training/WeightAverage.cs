using TorchSharp;
using static TorchSharp.torch;

namespace Mirage.Training;

/// <summary>
/// An exponential moving average of the weights (Polyak averaging): after each step, avg ← avg + (1 − decay)·(w − avg).
/// The averaged weights are the model a run evaluates, stops on and saves; the raw weights keep training. On this
/// task the raw model's accuracy swings by several points from one evaluation to the next (each batch holds sequences
/// of one length), and the average sits near the top of that swing, so it reaches the target in fewer steps.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    readonly (string Name, TorchSharp.Modules.Parameter P, Tensor Avg)[] _items;
    readonly double _decay;

    /// <summary>Starts the average at the current weights.</summary>
    public WeightAverage(IEnumerable<(string Name, TorchSharp.Modules.Parameter P)> namedParameters, double decay)
    {
        _decay = decay;
        using var _ = torch.no_grad();
        _items = namedParameters.Select(x => (x.Name, x.P, x.P.detach().clone().DetachFromDisposeScope())).ToArray();
    }

    public void Update()
    {
        using var _ = torch.no_grad();
        foreach (var (_, p, avg) in _items) avg.lerp_(p, 1 - _decay);
    }

    /// <summary>Puts the averaged weights into the model until disposed, then the raw weights back.</summary>
    public IDisposable Applied()
    {
        using var _ = torch.no_grad();
        var raw = _items.Select(x => x.P.detach().clone().DetachFromDisposeScope()).ToArray();
        foreach (var (_, p, avg) in _items) p.copy_(avg);
        return new Restore(_items.Select(x => x.P).ToArray(), raw);
    }

    sealed class Restore(TorchSharp.Modules.Parameter[] ps, Tensor[] raw) : IDisposable
    {
        public void Dispose()
        {
            using var _ = torch.no_grad();
            for (int i = 0; i < ps.Length; i++) { ps[i].copy_(raw[i]); raw[i].Dispose(); }
        }
    }

    /// <summary>The raw (training) weights by internal name, for the optimizer state of a checkpoint (views, not copies).</summary>
    public Dictionary<string, Tensor> RawWeights() => _items.ToDictionary(x => "param." + x.Name, x => (Tensor)x.P);

    /// <summary>
    /// On resume: the model holds the saved (averaged) weights, which become the average again; the raw weights come
    /// from the optimizer state.
    /// </summary>
    public void LoadRaw(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p, avg) in _items)
        {
            avg.copy_(p);
            if (!tensors.TryGetValue("param." + name, out var raw)) throw new UserError($"{source}: raw weight 'param.{name}' is missing; cannot resume a weight-averaged run exactly");
            if (!raw.shape.SequenceEqual(p.shape)) throw new UserError($"{source}: raw weight 'param.{name}' has shape [{string.Join(",", raw.shape)}], expected [{string.Join(",", p.shape)}]");
            p.copy_(raw);
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, avg) in _items) avg.Dispose();
    }
}
