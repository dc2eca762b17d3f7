using System.Text;
using static Mirage.Tests.Fakes.CorpusFiles;

namespace Mirage.Tests.Hostile;

/// <summary>
/// A tiny finished pipeline, built once per test class and copied for every case: <c>d</c> (Dyck-(4,4), 400 train,
/// 30 per split), <c>r</c> (a 1-layer d_model-16 model, 20 steps), <c>res</c> (pca and kmeans proxies), <c>rep</c>
/// (its report), the two config files, a corpus <c>py</c> / <c>java</c> for the code task, and <c>user</c> (a directory
/// of the user's own files).
/// </summary>
public sealed class HostileFixture : IDisposable
{
    public const string DataConfig = """{"max_length": 40, "short_max_length": 20, "min_distance": 2}""";
    public const string TrainConfig = """
        {"model": {"layers": 1, "heads": 1, "d_model": 16, "d_mlp": 32, "context_length": 41},
         "training": {"steps": 20, "batch_size": 16, "warmup_steps": 2, "eval_every": 10, "eval_sequences": 30,
                      "checkpoint_every": 10, "target_accuracy": 0, "length_bucket_batches": 2}}
        """;

    /// <summary>The data command every case that needs one uses (with the path of dc.json appended by <see cref="DataArgs"/>).</summary>
    public static string[] DataArgs(string dir) => ["data", "dyck", "--k", "4", "--max-depth", "4", "--train", "400", "--per-split", "30", "--config", Path.Combine(dir, "dc.json")];

    readonly string _root = Directory.CreateTempSubdirectory("mirage-hostile-").FullName;
    public string Base => Path.Combine(_root, "base");
    int _cases;

    public HostileFixture()
    {
        Directory.CreateDirectory(Base);
        File.WriteAllText(Path.Combine(Base, "dc.json"), DataConfig);
        File.WriteAllText(Path.Combine(Base, "tc.json"), TrainConfig);
        Ok([.. DataArgs(Base), "--out", P("d")]);
        Ok("train", "--data", P("d"), "--out", P("r"), "--config", P("tc.json"), "--quiet");
        Ok("simplify", "--run", P("r"), "--data", P("d"), "--out", P("res"), "--proxy", "pca", "--proxy", "kmeans", "--sweep", "pca=1,2", "--sweep", "kmeans=2",
            "--fit-n", "50", "--resamples", "20", "--quiet");
        Ok("report", P("res"), "--out", P("rep"), "--resamples", "20");
        Directory.CreateDirectory(P("user"));
        File.WriteAllText(P("user/notes.txt"), "the user's own notes\n");
        File.WriteAllText(P("user/data.csv"), "a,b\n1,2\n");
        for (int i = 0; i < 12; i++) Write(P($"py/mod{i}.py"), PyFile(i));
        for (int i = 0; i < 3; i++) Write(P($"java/Cls{i}.java"), JavaFile(i));
    }

    string P(string relative) => Path.Combine(Base, relative);

    static void Ok(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        if (code != 0) throw new InvalidOperationException($"fixture: mirage {string.Join(' ', args)} exited {code}: {stderr}{stdout}");
    }

    /// <summary>A fresh copy of the base pipeline for one case (cases may damage what they are given).</summary>
    public string NewCase(string name)
    {
        var dir = Path.Combine(_root, $"{Interlocked.Increment(ref _cases):D3}-{string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '-'))}");
        Copy(Base, dir);
        return dir;
    }

    static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) Copy(d, Path.Combine(to, Path.GetFileName(d)));
    }

    public void Dispose()
    {
        // Cases run as another user or on a tmpfs may leave modes or mounts; make everything removable first.
        foreach (var d in Directory.GetDirectories(_root, "*", SearchOption.AllDirectories))
            try { File.SetUnixFileMode(d, (UnixFileMode)0b111_111_101); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        Directory.Delete(_root, true);
    }
}
