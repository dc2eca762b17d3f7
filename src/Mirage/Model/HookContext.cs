using static TorchSharp.torch;

namespace Mirage.Model;

/// <summary>
/// What one forward pass does at its hook sites. Null when there are neither hooks nor a cache, and the model then
/// skips all hook work: the plain forward pass pays nothing for having hook sites.
/// </summary>
internal sealed class HookContext(Hooks? hooks, ActivationCache? cache)
{
    public Tensor At(string site, Tensor x, int headAxis = -1)
    {
        if (hooks is not null && hooks.Has(site)) x = hooks.Apply(site, x, headAxis);
        cache?.Record(site, x);
        return x;
    }

    public static HookContext? For(Hooks? hooks, ActivationCache? cache) =>
        (hooks is null || hooks.IsEmpty) && cache is null ? null : new HookContext(hooks, cache);
}
