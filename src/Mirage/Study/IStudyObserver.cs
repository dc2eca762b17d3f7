using Mirage.Faithfulness;
using Mirage.Training;

namespace Mirage.Study;

/// <summary>
/// What a study shows while it runs, supplied by its caller (the CLI draws progress bars and tables; a notebook may
/// log; tests ignore it). The library itself never prints.
/// </summary>
public interface IStudyObserver
{
    /// <summary>A task begins, or is skipped because it is done with these settings.</summary>
    void Starting(StudyTask task, int index, int count, string description, bool alreadyDone) { }

    /// <summary>A task ran to its end, taking this long and this much memory at its peak.</summary>
    void Finished(StudyTask task, TaskUsage usage) { }

    /// <summary>A line worth showing (e.g. that the data were already there).</summary>
    void Note(string line) { }

    /// <summary>Something the user should know even in a quiet run (e.g. a code corpus that is not the pinned one).</summary>
    void Warning(string line) { }

    /// <summary>The data step built or reused the data directory.</summary>
    void DataReady(DataOutcome outcome) { }

    /// <summary>Runs one training, giving it a progress receiver (or none).</summary>
    TrainResult Training(int seed, Func<ITrainingProgress?, TrainResult> train) => train(null);

    /// <summary>Runs one seed's proxy stage, giving it a progress receiver (or none).</summary>
    SimplifyResults Proxies(int seed, Func<IProgress<StageProgress>?, SimplifyResults> run) => run(null);
}
