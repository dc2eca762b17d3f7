namespace Mirage.Tasks;

/// <summary>A rule for which positions to score other than the task metric's: its name in results and a task that scores by it.</summary>
public sealed record ScoringVariant(string Name, ISequenceTask Task, string Description);
