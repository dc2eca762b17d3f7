namespace Mirage.Study;

/// <summary>The Slurm settings of a study's batch scripts; null = the cluster's default. Tasks get <see cref="CpusPerTask"/> (default: the study's thread count) CPUs each.</summary>
public sealed record SlurmOptions(string? Partition = null, string? Time = null, int? CpusPerTask = null, string? Mem = null, string? Account = null);
