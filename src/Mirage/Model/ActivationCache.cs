using static TorchSharp.torch;

namespace Mirage.Model;

/// <summary>
/// Activations recorded during a forward pass (TransformerLens's <c>run_with_cache</c>), by hook-site name. Only
/// sites passing <see cref="Filter"/> are kept. The tensors are detached copies that live outside any dispose scope:
/// the cache owns them, so dispose the cache when done.
/// </summary>
public sealed class ActivationCache(Func<string, bool>? filter = null) : IDisposable
{
    readonly Dictionary<string, Tensor> _acts = new(StringComparer.Ordinal);

    public Func<string, bool> Filter { get; } = filter ?? (_ => true);

    public IReadOnlyDictionary<string, Tensor> Activations => _acts;

    public Tensor this[string name] => _acts.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"activation '{name}' was not cached (cached: {string.Join(", ", _acts.Keys)})");

    public bool Contains(string name) => _acts.ContainsKey(name);

    internal void Record(string name, Tensor x)
    {
        if (!Filter(name)) return;
        if (_acts.Remove(name, out var old)) old.Dispose();
        _acts[name] = x.detach().clone().DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in _acts.Values) t.Dispose();
        _acts.Clear();
    }
}
