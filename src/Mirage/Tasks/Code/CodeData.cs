using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mirage.IO;

namespace Mirage.Tasks.Code;

/// <summary>
/// Writes and reads a code data directory: one JSON Lines file per split (<c>{"text": "...", "file": "os.py",
/// "offset": 1024, "max_depth": 2}</c>, START/END not written) and manifest.json.
/// </summary>
public static class CodeData
{
    public const string ManifestFile = DataManifest.File;

    /// <summary>
    /// Readable JSON: only what JSON requires is escaped (quotes, backslashes, control characters), not every
    /// non-ASCII or HTML-sensitive character; these files are never embedded in HTML.
    /// </summary>
    static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>Writes all splits into a staging directory and renames it to <paramref name="dir"/>; returns the manifest.</summary>
    public static CodeManifest Write(string dir, CodeDataset data)
    {
        var task = new CodeTask(data.Vocabulary, data.Config.Window);
        using var staging = new StagingDirectory(dir);
        var infos = new List<CodeSplitInfo>();
        foreach (var split in data.SplitNames)
        {
            var windows = data.Splits[split];
            var file = split + ".jsonl";
            var path = Path.Combine(staging.Path, file);
            long unk = 0;
            using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            using (var w = new Utf8JsonWriter(fs, LineOptions))
            {
                foreach (var win in windows)
                {
                    w.WriteStartObject();
                    w.WriteString("text", win.Text);
                    w.WriteString("file", win.File);
                    w.WriteNumber("offset", win.Offset);
                    w.WriteNumber("max_depth", win.MaxDepth);
                    w.WriteEndObject();
                    w.Flush();
                    fs.WriteByte((byte)'\n');
                    w.Reset(fs);
                    unk += task.CountUnk(win.Text);
                }
            }
            infos.Add(new CodeSplitInfo(split, file, windows.Count, windows.Select(x => x.File).Distinct(StringComparer.Ordinal).Count(),
                windows.Min(x => x.MaxDepth), windows.Max(x => x.MaxDepth), unk, split == "deep_nesting" ? data.DeepFromTrainFiles : 0,
                Sha256.OfFile(path)));
        }
        var manifest = new CodeManifest
        {
            Config = data.Config, Seed = data.Config.Seed, Corpus = data.Corpus, OodCorpus = data.OodCorpus,
            CorpusIdentity = data.CorpusIdentity, OodCorpusIdentity = data.OodCorpusIdentity,
            TrainFiles = data.TrainFiles, HeldOutFiles = data.HeldOutFiles, Splits = infos, SkippedSplits = data.Skipped,
            Vocabulary = data.Vocabulary.Tokens,
        };
        Json.Save(Path.Combine(staging.Path, ManifestFile), manifest);
        staging.Commit();
        return manifest;
    }

    public static CodeManifest ReadManifest(string dir) => DataManifest.Read<CodeManifest>(dir, "code", "code manifest", (m, path) =>
        {
            if (m.Config is null || m.Splits is null || m.Vocabulary is null) throw new UserError($"{path}: config, splits and vocabulary are required");
            m.Config.Validate(path + " config");
        },
        m => CodeSplits.Names.Where(n => m.SkippedSplits is null || !m.SkippedSplits.ContainsKey(n)));

    /// <summary>Checks that every split file the manifest lists is there, byte for byte (sha256), without parsing it.</summary>
    public static void Verify(string dir) => DataManifest.Verify(dir, ReadManifest(dir));

    /// <summary>Loads and checks a code data directory (sha256 and count of every file, each window's length and depth).</summary>
    public static TaskData Load(string dir)
    {
        var m = ReadManifest(dir);
        var mpath = Path.Combine(dir, ManifestFile);
        var task = CodeTask.FromTokens(m.Vocabulary, m.Config.Window, mpath);
        var splits = new Dictionary<string, IReadOnlyList<int[]>>();
        var depths = new Dictionary<string, IReadOnlyList<int>>();
        foreach (var info in m.Splits)
        {
            var path = SplitFile.Check(dir, ManifestFile, info.File, info.Sha256);
            var (seqs, d, files) = ReadSplit(path, info.Name, m.Config, task);
            DataManifest.CheckCount(path, seqs.Count, info, "windows");
            splits[info.Name] = seqs; depths[info.Name] = d;
            if (info.Name == "deep_nesting") AddProvenanceSplits(seqs, d, files, m.Config, splits, depths);
        }
        var order = CodeSplits.Names.SelectMany(n => n == "deep_nesting" ? [n, DeepHeldOut, DeepTrainFiles] : new[] { n }).Where(splits.ContainsKey).ToList();
        return new TaskData
        {
            Directory = dir, Task = task, SplitNames = order, Splits = splits, MaxDepths = depths,
            ManifestSha256 = Sha256.OfFile(mpath),
        };
    }

    /// <summary>deep_nesting's windows by where they come from, as splits of their own when it holds both kinds.</summary>
    public const string DeepHeldOut = "deep_nesting_heldout", DeepTrainFiles = "deep_nesting_trainfiles";

    /// <summary>
    /// Held-out files have too few deep windows, so deep_nesting may take some from train files (train itself never
    /// holds a deep window). A window from a train file can repeat identifiers the model has seen in that file, so
    /// the two kinds are also evaluated apart. Provenance comes from the window's file: the same path hash that split
    /// the files.
    /// </summary>
    static void AddProvenanceSplits(List<int[]> seqs, List<int> depths, List<string> files, CodeConfig c,
        Dictionary<string, IReadOnlyList<int[]>> splits, Dictionary<string, IReadOnlyList<int>> depthsBySplit)
    {
        var held = Enumerable.Range(0, seqs.Count).Where(i => CodeSplits.IsHeldOut(files[i], c.IidFraction)).ToList();
        var fromTrain = Enumerable.Range(0, seqs.Count).Where(i => !CodeSplits.IsHeldOut(files[i], c.IidFraction)).ToList();
        if (held.Count == 0 || fromTrain.Count == 0) return;
        splits[DeepHeldOut] = held.Select(i => seqs[i]).ToList(); depthsBySplit[DeepHeldOut] = held.Select(i => depths[i]).ToList();
        splits[DeepTrainFiles] = fromTrain.Select(i => seqs[i]).ToList(); depthsBySplit[DeepTrainFiles] = fromTrain.Select(i => depths[i]).ToList();
    }

    static (List<int[]>, List<int>, List<string>) ReadSplit(string path, string split, CodeConfig c, CodeTask task)
    {
        var seqs = new List<int[]>(); var depths = new List<int>(); var files = new List<string>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            string? text = null, file = null; int? depth = null;
            try
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line));
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new UserError($"{path} line {lineNo}: expected a JSON object");
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "text" && reader.TokenType == JsonTokenType.String) text = reader.GetString();
                    else if (name == "max_depth" && reader.TokenType == JsonTokenType.Number) depth = reader.GetInt32();
                    else if (name == "file" && reader.TokenType == JsonTokenType.String) file = reader.GetString();
                    else reader.Skip();
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            { throw new UserError($"{path} line {lineNo}: invalid JSON ({e.Message.Split('\n')[0]})"); }
            if (text is null || depth is null) throw new UserError($"{path} line {lineNo}: needs a string \"text\" and a number \"max_depth\"");
            if (text.Length != c.Window) throw new UserError($"{path} line {lineNo}: text has {text.Length} characters, expected the window of {c.Window}");
            int actual = Brackets.MaxDepth(text);
            if (actual != depth) throw new UserError($"{path} line {lineNo}: max_depth is {depth} but the text nests {actual} deep");
            bool shallow = split is "train" or "iid" or "java";
            if (shallow != (actual <= c.MaxTrainDepth))
                throw new UserError($"{path} line {lineNo}: depth {actual} does not belong in {split} (max_train_depth {c.MaxTrainDepth})");
            seqs.Add(task.Encode(text));
            depths.Add(actual);
            files.Add(file ?? "");
        }
        return (seqs, depths, files);
    }
}
