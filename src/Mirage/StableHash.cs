namespace Mirage;

/// <summary>
/// A hash that is the same in every process, on every machine, for seeding random streams from (seed, name, ...).
/// .NET randomises <c>string.GetHashCode</c> and <c>HashCode.Combine</c> per process, so neither may ever reach a
/// result: a run resumed in a new process would see other batches than an uninterrupted one.
/// </summary>
public static class StableHash
{
    /// <summary>FNV-1a (64 bit) over the UTF-8 of the parts joined by U+001F (the project runs with invariant globalization, so numbers format the same everywhere), folded to a non-negative int.</summary>
    public static int Of(params object[] parts)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(string.Join("\u001f", parts)))
        { h ^= b; h *= 1099511628211UL; }
        return (int)(h ^ (h >> 32)) & int.MaxValue;
    }
}
