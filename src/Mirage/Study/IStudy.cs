using Mirage.Faithfulness;
using Mirage.Model;
using Mirage.Training;

namespace Mirage.Study;

/// <summary>
/// The settings of every stage of <c>mirage reproduce &lt;task&gt;</c> at one scale: data, model, training, proxies.
/// Each stage is skipped when the hash of its settings (and of its inputs) is unchanged.
/// </summary>
public interface IStudy
{
    /// <summary>"dyck" or "code".</summary>
    string Task { get; }
    string Scale { get; }
    /// <summary>The data step's config record (hashed for the data stage).</summary>
    object DataConfig { get; }
    /// <summary>One line describing the data, for the stage header.</summary>
    string DataSummary { get; }
    ModelConfig Model { get; }
    TrainConfig Training { get; }
    SimplifyConfig Simplify { get; }
}
