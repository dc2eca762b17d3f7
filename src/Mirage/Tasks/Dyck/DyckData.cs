using System.Text;
using System.Text.Json;
using Mirage.IO;

namespace Mirage.Tasks.Dyck;

/// <summary>
/// Writes and reads a Dyck data directory: one JSON Lines file per split (<c>{"tokens": ["(3", ")3"], "length": 2,
/// "max_depth": 1, "structure": "()"}</c>, START/END not written) and manifest.json.
/// </summary>
public static class DyckData
{
    public const string ManifestFile = DataManifest.File;

    /// <summary>Writes all splits into a staging directory and renames it to <paramref name="dir"/>; returns the manifest.</summary>
    public static DyckManifest Write(string dir, DyckConfig config, Dictionary<string, List<DyckSequence>> splits)
    {
        var task = new DyckTask(config.K, config.MinDistance);
        using var staging = new StagingDirectory(dir);
        var infos = new List<SplitInfo>();
        var names = Enumerable.Range(0, config.K).Select(i => Encoding.ASCII.GetBytes($"\"({i}\"")).ToArray();
        var closers = Enumerable.Range(0, config.K).Select(i => Encoding.ASCII.GetBytes($"\"){i}\"")).ToArray();
        foreach (var split in DyckSplits.Names)
        {
            var seqs = splits[split];
            var file = split + ".jsonl";
            var path = Path.Combine(staging.Path, file);
            using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                // Hand-written JSON: tokens never need escaping, and this is the hot loop of `mirage data`.
                foreach (var s in seqs)
                {
                    fs.Write("{\"tokens\": ["u8);
                    for (int i = 0; i < s.Length; i++)
                    {
                        if (i > 0) fs.Write(", "u8);
                        var t = s.Tokens[i];
                        fs.Write(t > 0 ? names[t - 1] : closers[-t - 1]);
                    }
                    fs.Write(Encoding.ASCII.GetBytes($"], \"length\": {s.Length}, \"max_depth\": {s.MaxDepth}, \"structure\": \"{s.Structure}\"}}\n"));
                }
            }
            infos.Add(new SplitInfo(split, file, seqs.Count, seqs.Min(s => s.Length), seqs.Max(s => s.Length),
                seqs.Min(s => s.MaxDepth), seqs.Max(s => s.MaxDepth), Sha256.OfFile(path)));
        }
        var manifest = new DyckManifest { Config = config, Seed = config.Seed, Splits = infos, Vocabulary = task.Vocabulary.Tokens };
        Json.Save(Path.Combine(staging.Path, ManifestFile), manifest);
        staging.Commit();
        return manifest;
    }

    public static DyckManifest ReadManifest(string dir) => DataManifest.Read<DyckManifest>(dir, "dyck", "Dyck manifest", (m, path) =>
        {
            if (m.Config is null || m.Splits is null) throw new UserError($"{path}: config and splits are required");
            m.Config.Validate(path + " config");
        },
        // Data written before the validation split existed is still read (training then stops on iid).
        _ => DyckSplits.Names.Where(n => n != "validation"));

    /// <summary>Checks that every split file the manifest lists is there, byte for byte (sha256), without parsing it.</summary>
    public static void Verify(string dir) => DataManifest.Verify(dir, ReadManifest(dir));

    /// <summary>Loads and checks a Dyck data directory (sha256 of every file, every line's JSON and tokens).</summary>
    public static TaskData Load(string dir)
    {
        var m = ReadManifest(dir);
        var task = new DyckTask(m.Config.K, m.Config.MinDistance);
        var splits = new Dictionary<string, IReadOnlyList<int[]>>();
        var depths = new Dictionary<string, IReadOnlyList<int>>();
        foreach (var info in m.Splits)
        {
            var path = SplitFile.Check(dir, ManifestFile, info.File, info.Sha256);
            var (seqs, d) = ReadSplit(path, task);
            DataManifest.CheckCount(path, seqs.Count, info, "sequences");
            splits[info.Name] = seqs; depths[info.Name] = d;
        }
        var order = DyckSplits.Names.Where(splits.ContainsKey).ToList();
        return new TaskData
        {
            Directory = dir, Task = task, SplitNames = order, Splits = splits, MaxDepths = depths,
            ManifestSha256 = Sha256.OfFile(Path.Combine(dir, ManifestFile)),
        };
    }

    static (List<int[]>, List<int>) ReadSplit(string path, DyckTask task)
    {
        var seqs = new List<int[]>(); var depths = new List<int>();
        int lineNo = 0;
        var tokens = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            tokens.Clear();
            try
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line));
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new UserError($"{path} line {lineNo}: expected a JSON object");
                bool sawTokens = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "tokens")
                    {
                        if (reader.TokenType != JsonTokenType.StartArray) throw new UserError($"{path} line {lineNo}: \"tokens\" must be an array of strings");
                        while (reader.Read() && reader.TokenType == JsonTokenType.String) tokens.Add(reader.GetString()!);
                        if (reader.TokenType != JsonTokenType.EndArray) throw new UserError($"{path} line {lineNo}: \"tokens\" must be an array of strings");
                        sawTokens = true;
                    }
                    else reader.Skip();
                }
                if (!sawTokens) throw new UserError($"{path} line {lineNo}: missing \"tokens\"");
            }
            catch (JsonException e) { throw new UserError($"{path} line {lineNo}: invalid JSON ({e.Message.Split('\n')[0]})"); }
            var ids = task.Vocabulary.Encode(tokens, $"{path} line {lineNo}");
            seqs.Add(ids);
            depths.Add(CheckBalanced(ids, task, path, lineNo));
        }
        return (seqs, depths);
    }

    /// <summary>Returns the max depth; a string that is not balanced is a data error.</summary>
    static int CheckBalanced(int[] ids, DyckTask task, string path, int line)
    {
        var stack = new Stack<int>();
        int max = 0;
        for (int i = 1; i < ids.Length - 1; i++)
        {
            if (task.IsOpener(ids[i])) { stack.Push(ids[i]); max = Math.Max(max, stack.Count); }
            else if (stack.Count == 0 || task.CloserId(stack.Pop() - 3) != ids[i])
                throw new UserError($"{path} line {line}: not a balanced bracket string (token {i} '{task.Vocabulary[ids[i]]}')");
        }
        if (stack.Count > 0) throw new UserError($"{path} line {line}: not a balanced bracket string ({stack.Count} brackets left open)");
        return max;
    }
}
