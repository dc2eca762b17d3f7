namespace Mirage.Tasks.Dyck;

/// <summary>
/// Murty et al.'s probabilistic pushdown automaton for Dyck-(k, m) (docs/method.md §1.2): with an empty stack, END or one of the
/// k openers (P(END) = 1/2); below the depth bound, close the top or open one of k (P(close) = 1/2); at the bound,
/// close. END before <c>min_length</c> tokens is redrawn; samples longer than <c>max_length</c> are rejected whole.
/// </summary>
public sealed class DyckSampler(int k, int depthBound, int minLength, int maxLength, Random rng)
{
    readonly short[] _buf = new short[maxLength + 1];
    readonly short[] _stack = new short[depthBound + 1];

    public DyckSequence Next()
    {
        while (true)
        {
            int n = 0, depth = 0;
            bool tooLong = false;
            while (true)
            {
                if (depth == 0)
                {
                    if (rng.NextDouble() < 0.5) { if (n >= minLength) break; continue; }   // END (redrawn if too short)
                }
                else if (depth == depthBound || rng.NextDouble() < 0.5)
                {
                    _buf[n++] = (short)-_stack[--depth];
                    if (n > maxLength) { tooLong = true; break; }
                    continue;
                }
                var t = (short)(rng.Next(k) + 1);
                _stack[depth++] = t;
                _buf[n++] = t;
                if (n > maxLength) { tooLong = true; break; }
            }
            if (!tooLong) return new DyckSequence(_buf[..n]);
        }
    }
}
