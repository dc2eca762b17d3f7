namespace Mirage.Tasks.Code;

/// <summary>
/// One Debian package a pinned corpus was unpacked from, as its .deb says (<c>dpkg-deb -f</c>), with the sha256 of the
/// .deb archive itself. The architecture is recorded because an arch-specific package (libpython3.11-stdlib) holds a
/// file named after it (<c>_sysconfigdata__x86_64-linux-gnu.py</c>): the same version on another architecture is not
/// quite the same corpus.
/// </summary>
public sealed record DebianPackage(string Name, string Version, string Architecture, string ArchiveSha256);
