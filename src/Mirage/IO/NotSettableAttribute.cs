namespace Mirage.IO;

/// <summary>
/// Marks a config field that Mirage writes but a user's <c>--config</c> may not set, because it comes from elsewhere
/// (e.g. the vocabulary size from the data). <see cref="ConfigKeys.Check"/> rejects the key with <see cref="Why"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotSettableAttribute(string why) : Attribute
{
    /// <summary>Completes "it …", e.g. "comes from the data's vocabulary".</summary>
    public string Why { get; } = why;
}
