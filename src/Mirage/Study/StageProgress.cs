namespace Mirage.Study;

/// <summary>What a stage is doing and how far along it is (0 to 1), for a progress display; the library never prints.</summary>
public sealed record StageProgress(string What, double Fraction);
