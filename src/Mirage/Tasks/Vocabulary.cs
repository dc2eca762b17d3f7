namespace Mirage.Tasks;

/// <summary>
/// A task's token vocabulary. Ids 0, 1, 2 are always PAD, START and END (the model prepends START and appends END
/// to every sequence; PAD fills batches). Stored with every model checkpoint so a run can refuse data from
/// a different vocabulary.
/// </summary>
public sealed record Vocabulary
{
    public const string Pad = "PAD", Start = "START", End = "END";
    public const int PadId = 0, StartId = 1, EndId = 2;

    public IReadOnlyList<string> Tokens { get; }
    readonly Dictionary<string, int> _ids;

    public Vocabulary(IEnumerable<string> taskTokens)
    {
        var tokens = new List<string> { Pad, Start, End };
        tokens.AddRange(taskTokens);
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
            if (!_ids.TryAdd(tokens[i], i)) throw new ArgumentException($"duplicate token '{tokens[i]}' in vocabulary");
        Tokens = tokens;
    }

    public int Count => Tokens.Count;

    public int this[string token] => _ids[token];

    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    public string this[int id] => Tokens[id];

    /// <summary>START + the sequence's ids + END.</summary>
    public int[] Encode(IReadOnlyList<string> tokens, string source = "sequence")
    {
        var ids = new int[tokens.Count + 2];
        ids[0] = StartId;
        for (int i = 0; i < tokens.Count; i++)
            ids[i + 1] = _ids.TryGetValue(tokens[i], out var id) ? id : throw new UserError($"{source}: token '{tokens[i]}' is not in the vocabulary ({Count} tokens)");
        ids[^1] = EndId;
        return ids;
    }

    public bool SameAs(Vocabulary other) => Tokens.SequenceEqual(other.Tokens, StringComparer.Ordinal);

    public bool Equals(Vocabulary? other) => other is not null && SameAs(other);

    public override int GetHashCode() => Tokens.Count;
}
