using Mirage.Model;

namespace Mirage.Tasks.Code;

/// <summary>
/// Character-level code completion as the pipeline sees it. Vocabulary: PAD, START, END, every character of the
/// train windows (ordinal order) and <c>&lt;unk&gt;</c> for characters never seen in training. Every window character
/// is scored (argmax over the whole vocabulary), in one of three categories:
/// <list type="bullet">
/// <item>closing_bracket: a closer that matches the innermost opener still open in the window (Depth = depth of the
/// bracket being closed, Distance = closer index − opener index), the Dyck-like behaviour;</item>
/// <item>repeated_word: a non-first character of an identifier whose exact word occurred earlier in the window as a
/// whole word (Distance = back to the start of the most recent earlier occurrence), the copying / induction
/// behaviour (the first character is not a copy: nothing yet says which earlier word to copy);</item>
/// <item>other: everything else (Depth = current bracket depth, Distance 0).</item>
/// </list>
/// </summary>
public sealed class CodeTask : ISequenceTask
{
    public const int ClosingBracket = 0, RepeatedWord = 1, Other = 2;

    public string Name => "code";
    public Vocabulary Vocabulary { get; }
    public int Window { get; }
    public int UnkId { get; }
    public IReadOnlyList<int> CandidateIds { get; } = [];
    public IReadOnlyList<string> Categories { get; } = ["closing_bracket", "repeated_word", "other"];
    public ModelConfig DefaultModel => new() { Layers = 2, Heads = 4, DModel = 256, DMlp = 1024, ContextLength = Window + 1 };

    /// <summary>id → character; '\0' for PAD, START, END and &lt;unk&gt;, which are never brackets or word characters.</summary>
    readonly char[] _chars;
    readonly Dictionary<char, int> _ids = [];

    public CodeTask(Vocabulary vocabulary, int window)
    {
        Vocabulary = vocabulary; Window = window;
        if (!vocabulary.TryGetId(CodeSplits.Unk, out var unk)) throw new ArgumentException($"code vocabulary needs a {CodeSplits.Unk} token");
        UnkId = unk;
        _chars = new char[vocabulary.Count];
        for (int i = 3; i < vocabulary.Count; i++)
        {
            var t = vocabulary[i];
            if (i == unk) continue;
            if (t.Length != 1) throw new ArgumentException($"code vocabulary token '{t}' is not one character");
            _chars[i] = t[0];
            _ids[t[0]] = i;
        }
    }

    /// <summary>The task built from the token list a manifest stores (PAD, START, END first).</summary>
    public static CodeTask FromTokens(IReadOnlyList<string> tokens, int window, string source)
    {
        if (tokens.Count < 4 || tokens[0] != Vocabulary.Pad || tokens[1] != Vocabulary.Start || tokens[2] != Vocabulary.End)
            throw new UserError($"{source}: vocabulary must start with {Vocabulary.Pad}, {Vocabulary.Start}, {Vocabulary.End} and hold characters");
        try { return new CodeTask(new Vocabulary(tokens.Skip(3)), window); }
        catch (ArgumentException e) { throw new UserError($"{source}: invalid vocabulary ({e.Message})"); }
    }

    public string DeepSplit => "deep_nesting";

    /// <summary>Attention maps on an in-distribution window and on a window of the other language (the ask).</summary>
    public IReadOnlyList<string> ExampleSplits => ["iid", "java"];

    /// <summary>Bracket depth after each token, counted as in <see cref="Score"/> (every closer pops when depth &gt; 0).</summary>
    public int[] Depths(ReadOnlySpan<int> ids)
    {
        var depths = new int[ids.Length];
        int d = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            char c = CharOf(ids[i]);
            if (Brackets.IsOpener(c)) d++;
            else if (Brackets.IsCloser(c) && d > 0) d--;
            depths[i] = d;
        }
        return depths;
    }

    public char CharOf(int id) => id >= 0 && id < _chars.Length ? _chars[id] : '\0';

    public int IdOf(char c) => _ids.TryGetValue(c, out var id) ? id : UnkId;

    /// <summary>START + one id per character (unknown characters → &lt;unk&gt;) + END.</summary>
    public int[] Encode(string text)
    {
        var ids = new int[text.Length + 2];
        ids[0] = Vocabulary.StartId;
        for (int i = 0; i < text.Length; i++) ids[i + 1] = IdOf(text[i]);
        ids[^1] = Vocabulary.EndId;
        return ids;
    }

    public int CountUnk(string text)
    {
        int n = 0;
        foreach (var ch in text) if (!_ids.ContainsKey(ch)) n++;
        return n;
    }

    static bool WordStart(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_';
    static bool WordChar(char c) => WordStart(c) || c is >= '0' and <= '9';

    public void Score(ReadOnlySpan<int> ids, List<ScoredPosition> into)
    {
        int n = ids.Length;
        var text = new char[n];
        for (int i = 0; i < n; i++) text[i] = CharOf(ids[i]);

        // Pass 1, words: a maximal run of [A-Za-z0-9_] that starts with [A-Za-z_] (a run starting with a digit is a
        // number). copyFrom[i] = distance back to the most recent earlier occurrence of i's word, for the non-first
        // characters of a repeated word; 0 otherwise. A word cut by the window start counts as the word it shows.
        var copyFrom = new int[n];
        var lastStart = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < n;)
        {
            if (!WordChar(text[i])) { i++; continue; }
            int s = i;
            while (i < n && WordChar(text[i])) i++;
            if (!WordStart(text[s])) continue;
            var word = new string(text, s, i - s);
            if (lastStart.TryGetValue(word, out var prev))
                for (int k = s + 1; k < i; k++) copyFrom[k] = s - prev;
            lastStart[word] = s;
        }

        // Pass 2, brackets, in the same counting as Brackets.MaxDepth: every in-window closer pops the innermost
        // opener; it is a closing_bracket only when its type matches (a mismatch comes from brackets in strings or
        // comments, which the task does not parse, and is "other").
        Span<int> stack = n <= 1024 ? stackalloc int[n] : new int[n];
        int depth = 0;
        for (int i = 1; i < n; i++)
        {
            if (ids[i] == Vocabulary.EndId || ids[i] == Vocabulary.PadId) break;
            char c = text[i];
            if (Brackets.IsCloser(c) && depth > 0)
            {
                int opener = stack[--depth];
                if (Brackets.CloserOf(text[opener]) == c) { into.Add(new ScoredPosition(i - 1, ids[i], depth + 1, i - opener, ClosingBracket)); continue; }
                into.Add(new ScoredPosition(i - 1, ids[i], depth + 1, 0, Other));
                continue;
            }
            into.Add(copyFrom[i] > 0
                ? new ScoredPosition(i - 1, ids[i], depth, copyFrom[i], RepeatedWord)
                : new ScoredPosition(i - 1, ids[i], depth, 0, Other));
            if (Brackets.IsOpener(c)) stack[depth++] = i;
        }
    }
}
