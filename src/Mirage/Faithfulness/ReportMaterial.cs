namespace Mirage.Faithfulness;

// What the report draws besides the numbers (examples.json, pca_points.json): attention maps and PCA points.

/// <summary>A proxy's attention pattern on an example sequence (examples.json).</summary>
public sealed record ProxyPattern(string Proxy, int? Parameter, float[][] Pattern);

/// <summary>The model's and every proxy's attention on one example sequence, for one head (examples.json).</summary>
public sealed record ExampleMaps(int Seed, string Split, IReadOnlyList<string> Tokens, string Site, int Head, float[][] Model, IReadOnlyList<ProxyPattern> Proxies);

/// <summary>A point of the PCA scatter (pca_points.json).</summary>
public sealed record PcaPoint(float Pc1, float Pc2, int Depth, string Source);

/// <summary>The first two principal components of a head's keys or queries (pca_points.json).</summary>
public sealed record PcaPoints(int Seed, string Site, int Head, string Kind, double[] ExplainedVariance, IReadOnlyList<PcaPoint> Points);
