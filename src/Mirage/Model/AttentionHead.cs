namespace Mirage.Model;

/// <summary>One attention head: head <see cref="Head"/> of block <see cref="Layer"/>. A head proxy is fitted on, and spliced into, exactly one.</summary>
public readonly record struct AttentionHead(int Layer, int Head)
{
    /// <summary>The attention block's name, <c>blocks.{layer}.attn</c>.</summary>
    public string Site => HookSites.Attn(Layer);

    public override string ToString() => $"{Site} head {Head}";
}
