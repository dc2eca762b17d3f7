namespace Mirage.Model;

/// <summary>
/// Shape of a decoder-only Transformer (defaults: the Dyck model of docs/method.md §2, 2 layers, 1 head, d_model 128, d_mlp 512).
/// <see cref="DHead"/> 0 means d_model / heads. <see cref="ContextLength"/> is the longest input (positions embedded).
/// </summary>
public sealed record ModelConfig
{
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 1;
    public int DModel { get; init; } = 128;
    public int DHead { get; init; } = 0;
    public int DMlp { get; init; } = 512;
    public int ContextLength { get; init; } = 130;
    [IO.NotSettable("comes from the data's vocabulary")]
    public int VocabSize { get; init; } = 0;

    [System.Text.Json.Serialization.JsonIgnore]
    public int HeadDim => DHead > 0 ? DHead : DModel / Heads;

    /// <summary>Throws a <see cref="UserError"/> naming the first impossible field.</summary>
    public ModelConfig Validate(string source = "model config")
    {
        void Need(bool ok, string field, string expected, object found)
        { if (!ok) throw new UserError($"{source}: {field} must be {expected}, found {found}"); }
        Need(Layers >= 1, "layers", ">= 1", Layers);
        Need(Heads >= 1, "heads", ">= 1", Heads);
        Need(DModel >= 1, "d_model", ">= 1", DModel);
        Need(DHead > 0 || DModel % Heads == 0, "d_model", $"a multiple of heads ({Heads}) when d_head is not set", DModel);
        Need(DHead >= 0, "d_head", ">= 0 (0 = d_model / heads)", DHead);
        Need(DMlp >= 1, "d_mlp", ">= 1", DMlp);
        Need(ContextLength >= 2, "context_length", ">= 2", ContextLength);
        Need(VocabSize >= 4, "vocab_size", ">= 4", VocabSize);
        return this;
    }
}
