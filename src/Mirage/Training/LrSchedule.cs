namespace Mirage.Training;

/// <summary>Linear warm-up to the peak rate, then cosine decay to <c>peak * MinLrRatio</c> at the last step (nanoGPT's get_lr).</summary>
public static class LrSchedule
{
    public static double At(int step, TrainConfig c)
    {
        if (step < c.WarmupSteps) return c.LearningRate * (step + 1) / c.WarmupSteps;
        double min = c.LearningRate * c.MinLrRatio;
        int decaySteps = Math.Max(1, c.Steps - c.WarmupSteps);
        double progress = Math.Min(1.0, (double)(step - c.WarmupSteps) / decaySteps);
        return min + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (c.LearningRate - min);
    }
}
