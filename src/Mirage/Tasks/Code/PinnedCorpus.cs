namespace Mirage.Tasks.Code;

/// <summary>
/// A default corpus pinned to Debian packages at stated versions, so every machine reads the same files
/// (docs/method.md §1.3). <see cref="Root"/> is the corpus inside the unpacked packages: a directory or a .zip.
/// </summary>
/// <remarks>
/// The versions are those of the bookworm suite itself (point release 12.15 of July 2026, the newest on 2026-11-26),
/// not of bookworm-security: a security update replaces the previous one there and the old .deb leaves the mirror
/// (on 2026-11-26 it held libpython3.11 3.11.2-6+deb12u9 and openjdk-17 17.0.21.1+2-1~deb12u1), whereas a point
/// release's versions stay until the next point release. When a new one replaces them, the fetch fails with apt's
/// message and these pins must be moved.
/// </remarks>
public sealed record PinnedCorpus(string Label, IReadOnlyList<(string Name, string Version)> Packages, string Root)
{
    /// <summary>
    /// Python 3.11's standard library as every Debian python3.11 has it. Debian splits it over two packages:
    /// libpython3.11-minimal holds the core modules (os, re, collections, ...), libpython3.11-stdlib the rest; the
    /// stdlib package alone holds 269 of the 543 .py files read. distutils, lib2to3 and ensurepip, which Debian ships in
    /// packages of their own, are not included.
    /// </summary>
    public static readonly PinnedCorpus Python = new("Python 3.11 standard library",
        [("libpython3.11-minimal", "3.11.2-6+deb12u8"), ("libpython3.11-stdlib", "3.11.2-6+deb12u8")], "usr/lib/python3.11");

    /// <summary>The JDK 17 class library sources (about 15,000 .java files in one src.zip); an arch-independent package.</summary>
    public static readonly PinnedCorpus Java = new("OpenJDK 17 sources",
        [("openjdk-17-source", "17.0.19+10-1~deb12u2")], "usr/lib/jvm/openjdk-17/lib/src.zip");

    /// <summary>The packages as apt-get takes them: name=version.</summary>
    public string Spec => string.Join(" ", Packages.Select(p => $"{p.Name}={p.Version}"));

    /// <summary>
    /// The cache directory name: every package and version, so a new pin never reuses an old unpacking. ':' (an epoch)
    /// is written %3a, as in Debian's own .deb file names.
    /// </summary>
    public string CacheKey => string.Join(",", Packages.Select(p => $"{p.Name}_{p.Version.Replace(":", "%3a", StringComparison.Ordinal)}"));
}
