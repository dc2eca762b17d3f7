using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mirage.Cli.Commands;
using Mirage.Cli.Terminal;
using Mirage.IO;
using Mirage.Study;
using Mirage.Tasks;
using Mirage.Tasks.Code;
using static Mirage.Tests.Fakes.CorpusFiles;

namespace Mirage.Tests;

/// <summary>
/// The identity of the code corpora (issue 15, item 9): the files fingerprint, the manifest's identity fields, the
/// preference for the pinned packages, and the package cache. No test runs apt-get or needs the network: fetching is
/// faked, either as a whole (<see cref="CodeDefaults.Fetch"/>) or program by program (apt-get, dpkg-deb).
/// </summary>
public class CodeDataCorpusTests : TempDirectoryTests
{
    readonly string _py, _java;

    static readonly IReadOnlyList<DebianPackage> FakePackages =
    [
        new("libpython3.11-minimal", "3.11.2-6+deb12u8", "amd64", new string('a', 64)),
        new("libpython3.11-stdlib", "3.11.2-6+deb12u8", "amd64", new string('b', 64)),
    ];

    /// <summary>For configs that give both corpora: fetching or looking for installed ones would be a bug.</summary>
    static readonly CodeDefaults GivenOnly = new(_ => throw new InvalidOperationException("fetch"),
        () => throw new InvalidOperationException("python"), () => throw new InvalidOperationException("jdk"));

    public CodeDataCorpusTests()
    {
        _py = Path.Combine(Dir, "py");
        for (int i = 0; i < 12; i++) Write(Path.Combine(_py, i < 9 ? "" : "pkg", $"mod{i}.py"), PyFile(i));
        Write(Path.Combine(_py, "notes.txt"), "not a source file");
        File.WriteAllBytes(Path.Combine(_py, "binary.py"), [0x61, 0x00, 0x62, 0x0a]);
        _java = Path.Combine(Dir, "java");
        for (int i = 0; i < 3; i++) Write(Path.Combine(_java, $"Cls{i}.java"), JavaFile(i));
    }

    CodeConfig Small(bool corpus = true, bool java = true) => new()
    {
        Corpus = corpus ? [_py] : [], OodCorpus = java ? [_java] : [], Window = 16, MaxTrainDepth = 1, Train = 40, PerSplit = 8, IidFraction = 0.3,
    };

    static string Fingerprint(string root, IReadOnlyList<string> ext) =>
        CodeCorpus.Read([root], ext, 0, 0, "corpus").FilesSha256;

    static void CopyTree(string from, string to)
    {
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }

    [Fact]
    public void Fingerprint_is_the_same_for_the_same_files_elsewhere_and_changes_when_one_file_does()
    {
        var copy = Path.Combine(Dir, "elsewhere", "deeper", "py");
        CopyTree(_py, copy);
        var a = Fingerprint(_py, [".py"]);
        Assert.Equal(a, Fingerprint(copy, [".py"]));

        // It is the sha256 of sha256sum's listing of the files read (binary.py and notes.txt are not read).
        var listing = string.Concat(Directory.GetFiles(_py, "*.py", SearchOption.AllDirectories)
            .Select(f => (Path: Path.GetRelativePath(_py, f).Replace('\\', '/'), Full: f)).Where(f => f.Path != "binary.py")
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .Select(f => $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f.Full)))}  {f.Path}\n"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing))), a);

        File.AppendAllText(Path.Combine(copy, "pkg", "mod10.py"), "x = 1\n");      // one file's content
        var changed = Fingerprint(copy, [".py"]);
        Assert.NotEqual(a, changed);
        File.Move(Path.Combine(copy, "mod0.py"), Path.Combine(copy, "mod0_renamed.py"));   // one file's name
        Assert.NotEqual(changed, Fingerprint(copy, [".py"]));
        // Files that are not read do not count.
        File.WriteAllText(Path.Combine(_py, "more-notes.txt"), "still not a source file");
        Assert.Equal(a, Fingerprint(_py, [".py"]));
    }

    [Fact]
    public void Resolution_prefers_the_pinned_packages_over_installed_corpora()
    {
        var pinnedPy = Path.Combine(Dir, "cache", "usr", "lib", "python3.11");
        CopyTree(_py, pinnedPy);
        var pinnedJava = Path.Combine(Dir, "cache", "src.zip-dir");
        CopyTree(_java, pinnedJava);
        int installedAsked = 0;
        var asked = new List<string>();
        var defaults = new CodeDefaults(
            p => { asked.Add(p.Spec); return (p == PinnedCorpus.Python ? pinnedPy : pinnedJava, p == PinnedCorpus.Python ? FakePackages : [FakePackages[0]], ""); },
            () => { installedAsked++; return (_py, ""); },
            () => { installedAsked++; return (_java, ""); });

        var r = defaults.Resolve(Small(corpus: false, java: false));
        Assert.Equal(0, installedAsked);                       // the installed corpora are not even looked for
        Assert.Equal([PinnedCorpus.Python.Spec, PinnedCorpus.Java.Spec], asked);
        Assert.Equal([pinnedPy], r.Config.Corpus);
        Assert.Equal([pinnedJava], r.Config.OodCorpus);
        Assert.Equal(CorpusOrigin.Pinned, r.Corpus.Origin);
        Assert.Equal(FakePackages, r.Corpus.Packages);
        Assert.Null(r.Corpus.Note);
        Assert.Empty(r.Warnings);
        Assert.Contains("libpython3.11-minimal=3.11.2-6+deb12u8 libpython3.11-stdlib=3.11.2-6+deb12u8", PinnedCorpus.Python.Spec);
        Assert.StartsWith("openjdk-17-source=17.", PinnedCorpus.Java.Spec);

        // Given corpora are read as given: nothing is fetched.
        asked.Clear();
        var given = defaults.Resolve(Small());
        Assert.Empty(asked);
        Assert.Equal(CorpusOrigin.Given, given.Corpus.Origin);
        Assert.Equal(CorpusOrigin.Given, given.OodCorpus!.Origin);
    }

    [Fact]
    public void Without_the_pinned_packages_the_installed_corpora_are_read_and_say_so()
    {
        var offline = new CodeDefaults(_ => (null, [], "apt-get: E: no network"), () => (_py, ""), () => (_java, ""));
        var r = offline.Resolve(Small(corpus: false, java: false));
        Assert.Equal([_py], r.Config.Corpus);
        Assert.Equal(CorpusOrigin.Installed, r.Corpus.Origin);
        Assert.Empty(r.Corpus.Packages);
        Assert.Contains("not the pinned Python 3.11 standard library", r.Corpus.Note);
        Assert.Contains("E: no network", r.Corpus.Note);
        Assert.Equal(CorpusOrigin.Installed, r.OodCorpus!.Origin);
        Assert.Equal(2, r.Warnings.Count());

        // The data step warns, its summary says it, and the manifest records it.
        var dir = Path.Combine(Dir, "installed");
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(0, DataCommand.RunCode(new CliContext(o, e), dir, Small(corpus: false, java: false), offline));
        Assert.Contains("warning: corpus: not the pinned Python 3.11 standard library", e.ToString());
        Assert.Contains("corpus identity: installed, files sha256 ", o.ToString());
        Assert.Matches("corpus identity: installed, files sha256 [0-9a-f]{64}; not the pinned Python 3.11 standard library", o.ToString());
        var m = CodeData.ReadManifest(dir);
        Assert.Equal(CorpusOrigin.Installed, m.CorpusIdentity!.Origin);
        Assert.Contains("E: no network", m.CorpusIdentity.Note);
        Assert.Equal(Fingerprint(_py, [".py"]), m.CorpusIdentity.FilesSha256);
        Assert.Contains("\"origin\": \"installed\"", File.ReadAllText(Path.Combine(dir, CodeData.ManifestFile)));

        // Neither: no Python corpus is an error naming both reasons; no Java sources skip the java split.
        var nothing = new CodeDefaults(_ => (null, [], "apt-get: E: no network"), () => (null, "no python3"), () => (null, "no JDK"));
        var ex = Assert.Throws<UserError>(() => nothing.Resolve(Small(corpus: false)));
        Assert.Contains("E: no network", ex.Message);
        Assert.Contains("no python3", ex.Message);
        var noJava = nothing.Resolve(Small(java: false));
        Assert.Null(noJava.OodCorpus);
        Assert.Contains("no JDK", noJava.OodSkipped);
    }

    [Fact]
    public void Manifest_records_each_corpus_identity_and_the_summary_prints_it()
    {
        var pinned = new CodeDefaults(p => (p == PinnedCorpus.Python ? _py : _java, p == PinnedCorpus.Python ? FakePackages : [FakePackages[0]], ""),
            () => throw new InvalidOperationException("not asked"), () => throw new InvalidOperationException("not asked"));
        var dir = Path.Combine(Dir, "pinned");
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(0, DataCommand.RunCode(new CliContext(o, e), dir, Small(corpus: false, java: false), pinned));
        Assert.Equal("", e.ToString());
        var m = CodeData.ReadManifest(dir);
        Assert.Equal(CorpusOrigin.Pinned, m.CorpusIdentity!.Origin);
        Assert.Equal(FakePackages, m.CorpusIdentity.Packages);
        Assert.Equal(Fingerprint(_py, [".py"]), m.CorpusIdentity.FilesSha256);
        Assert.Equal(Fingerprint(_java, [".java"]), m.OodCorpusIdentity!.FilesSha256);
        var text = File.ReadAllText(Path.Combine(dir, CodeData.ManifestFile));
        foreach (var field in new[] { "\"corpus_identity\"", "\"ood_corpus_identity\"", "\"origin\": \"pinned\"", "\"archive_sha256\"", "\"files_sha256\"", "\"architecture\": \"amd64\"" })
            Assert.Contains(field, text);
        Assert.Contains($"corpus identity: pinned libpython3.11-minimal 3.11.2-6+deb12u8 (amd64) + libpython3.11-stdlib 3.11.2-6+deb12u8 (amd64), files sha256 {m.CorpusIdentity.FilesSha256}", o.ToString());
        Assert.Contains($"ood_corpus identity: pinned", o.ToString());

        // The same files elsewhere give the same splits, byte for byte, and the same identity.
        var copy = Path.Combine(Dir, "other-machine", "py");
        CopyTree(_py, copy);
        var moved = pinned with { Fetch = p => (p == PinnedCorpus.Python ? copy : _java, p == PinnedCorpus.Python ? FakePackages : [FakePackages[0]], "") };
        var dir2 = Path.Combine(Dir, "pinned2");
        Assert.Equal(0, DataCommand.RunCode(new CliContext(TextWriter.Null, TextWriter.Null), dir2, Small(corpus: false, java: false), moved));
        Assert.True(m.CorpusIdentity.SameCorpus(CodeData.ReadManifest(dir2).CorpusIdentity));
        foreach (var s in m.Splits) Assert.Equal(s.Sha256, Sha256.OfFile(Path.Combine(dir2, s.File)));
    }

    [Fact]
    public void A_manifest_without_identity_fields_still_loads_and_reruns()
    {
        var dir = Path.Combine(Dir, "old");
        Assert.Equal(0, DataCommand.RunCode(new CliContext(TextWriter.Null, TextWriter.Null), dir, Small(), GivenOnly));
        // Written as before corpora were pinned: no corpus_identity, no ood_corpus_identity.
        var path = Path.Combine(dir, CodeData.ManifestFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.True(json.Remove("corpus_identity") && json.Remove("ood_corpus_identity"));
        File.WriteAllText(path, json.ToJsonString(Json.Options) + "\n");

        var m = CodeData.ReadManifest(dir);
        Assert.Null(m.CorpusIdentity);
        Assert.Null(m.OodCorpusIdentity);
        Assert.Equal(CodeSplits.Names, TaskDataLoader.Load(dir).SplitNames);
        var o = new StringWriter();
        Assert.Equal(0, DataCommand.RunCode(new CliContext(o, TextWriter.Null), dir, Small(), GivenOnly));
        Assert.Contains("already holds this dataset", o.ToString());
        Assert.Contains("corpus identity: not recorded", o.ToString());
    }

    [Fact]
    public void Rerun_refuses_data_built_from_other_files_at_the_same_path()
    {
        var corpus = Path.Combine(Dir, "editable");
        CopyTree(_py, corpus);
        var c = Small() with { Corpus = [corpus] };
        var dir = Path.Combine(Dir, "edited");
        Assert.Equal(0, DataCommand.RunCode(new CliContext(TextWriter.Null, TextWriter.Null), dir, c, GivenOnly));
        File.AppendAllText(Path.Combine(corpus, "mod1.py"), "y = [1]\n");
        var e = Assert.Throws<UserError>(() => DataCommand.RunCode(new CliContext(TextWriter.Null, TextWriter.Null), dir, c, GivenOnly));
        Assert.Contains("already holds a dataset built from another corpus", e.Message);
    }

    [Fact]
    public void The_reproduce_data_stage_hash_follows_the_corpus_files()
    {
        var corpus = Path.Combine(Dir, "study-corpus");
        CopyTree(_py, corpus);
        var study = CodeStudy.For("quick", [corpus], [_java]);
        string Hash() => StageLedger.Hash("data", study.Task, study.Data, CodeStudy.DataKey(GivenOnly.Resolve(study.Data)));
        var before = Hash();
        Assert.Equal(before, Hash());
        File.AppendAllText(Path.Combine(corpus, "pkg", "mod9.py"), "z = 2\n");
        Assert.NotEqual(before, Hash());

        // Pinned corpora: a new version of a package is a new key even with the same files.
        var files = Path.Combine(Dir, "pinned-files");
        CopyTree(_py, files);
        object Key(string version) => CodeStudy.DataKey(new CodeDefaults(
            p => (p == PinnedCorpus.Python ? files : _java, [FakePackages[0] with { Version = version }], ""), () => (null, ""), () => (null, ""))
            .Resolve(study.Data with { Corpus = [], OodCorpus = [] }));
        Assert.Equal(Json.Serialize(Key("1")), Json.Serialize(Key("1")));
        Assert.NotEqual(Json.Serialize(Key("1")), Json.Serialize(Key("2")));
    }

    /// <summary>apt-get and dpkg-deb faked in process: "download" writes a .deb, "-f" prints its fields, "-x" unpacks a tree.</summary>
    sealed class FakeApt(string version)
    {
        public List<string> Calls { get; } = [];

        public ChildResult Run(string exe, string[] args, string cwd)
        {
            Calls.Add($"{exe} {string.Join(" ", args)}");
            switch (exe, args[0])
            {
                case ("apt-get", "download"):
                    foreach (var spec in args[1..])
                    {
                        var (name, ver) = (spec.Split('=')[0], spec.Split('=')[1]);
                        if (ver != version) return new ChildResult(100, "", $"E: Can't find a source to download version '{ver}' of '{name}:amd64'\n", 0);
                        File.WriteAllText(Path.Combine(cwd, $"{name}_{ver}_amd64.deb"), $"fake deb of {name}");
                    }
                    return new ChildResult(0, "", "W: Download is performed unsandboxed as root\n", 0);
                case ("dpkg-deb", "-f"):
                    var parts = Path.GetFileNameWithoutExtension(args[1]).Split('_');
                    return new ChildResult(0, $"Package: {parts[0]}\nVersion: {parts[1]}\nArchitecture: {parts[2]}\n", "", 0);
                case ("dpkg-deb", "-x"):
                    var lib = Path.Combine(args[2], "usr", "lib", "fake");
                    Directory.CreateDirectory(lib);
                    File.WriteAllText(Path.Combine(lib, $"{Path.GetFileName(args[1]).Split('_')[0]}.py"), "x = (1)\n");
                    // As libpython3.11-stdlib's sitecustomize.py: a link to another package's file on the host.
                    if (!File.Exists(Path.Combine(lib, "alias.py")))
                    {
                        File.CreateSymbolicLink(Path.Combine(lib, "sitecustomize.py"), "/etc/fake-host-file.py");
                        File.CreateSymbolicLink(Path.Combine(lib, "alias.py"), "one.py");              // inside the tree
                    }
                    return new ChildResult(0, "", "", 0);
                default:
                    throw new InvalidOperationException(exe);
            }
        }
    }

    [Fact]
    public void The_package_cache_fetches_once_verifies_and_reuses_keyed_by_version()
    {
        var cache = Path.Combine(Dir, "xdg-cache", "mirage");
        var pinned = new PinnedCorpus("fake corpus", [("one", "1.0-1"), ("two", "1.0-1")], "usr/lib/fake");
        var apt = new FakeApt("1.0-1");
        var (root, packages, why) = PinnedCorpusCache.Fetch(pinned, cache, null, apt.Run);
        Assert.True(root is not null, why);
        Assert.Equal(Path.Combine(cache, "one_1.0-1,two_1.0-1", "files", "usr", "lib", "fake"), root);
        Assert.Equal(["apt-get download one=1.0-1 two=1.0-1"], apt.Calls.Where(c => c.StartsWith("apt-get", StringComparison.Ordinal)));
        Assert.Equal(["one", "two"], packages.Select(p => p.Name));
        Assert.All(packages, p => Assert.Equal(("1.0-1", "amd64"), (p.Version, p.Architecture)));
        Assert.Equal(Sha256.OfText("fake deb of one"), packages[0].ArchiveSha256);
        // The link out of the tree is gone (it would read the host's file), the link inside stays; no .deb is kept.
        Assert.Equal(["alias.py", "one.py", "two.py"], Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(cache, "*.deb", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(cache, ".fetch-*"));

        // Reused: nothing is run the second time.
        apt.Calls.Clear();
        var again = PinnedCorpusCache.Fetch(pinned, cache, null, apt.Run);
        Assert.Equal(root, again.Root);
        Assert.Equal(packages, again.Packages);
        Assert.Empty(apt.Calls);

        // Another pinned version is another entry; when apt cannot fetch it, apt's own error is the reason.
        var newer = pinned with { Packages = [("one", "2.0-1"), ("two", "2.0-1")] };
        var failed = PinnedCorpusCache.Fetch(newer, cache, null, apt.Run);
        Assert.Null(failed.Root);
        Assert.Contains("E: Can't find a source to download version '2.0-1'", failed.Why);
        Assert.DoesNotContain("unsandboxed", failed.Why);
        Assert.Empty(Directory.GetDirectories(cache, ".fetch-*"));
        Assert.Null(PinnedCorpusCache.Fetch(pinned, null, null, apt.Run).Root);   // no cache directory: a reason, no exception

        // A damaged entry is fetched again.
        foreach (var damaged in new[] { "{", "[null, null]" })
        {
            File.WriteAllText(Path.Combine(cache, pinned.CacheKey, PinnedCorpusCache.PackagesFile), damaged);
            apt.Calls.Clear();
            Assert.Equal(root, PinnedCorpusCache.Fetch(pinned, cache, null, apt.Run).Root);
            Assert.Contains("apt-get download one=1.0-1 two=1.0-1", apt.Calls);
        }
    }
}
