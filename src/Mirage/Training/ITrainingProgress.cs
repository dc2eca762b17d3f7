namespace Mirage.Training;

/// <summary>Receives progress while training (the CLI draws it; tests ignore it).</summary>
public interface ITrainingProgress
{
    void Started(long step, int totalSteps, bool resumed);
    void Stepped(TrainStep s);
}
