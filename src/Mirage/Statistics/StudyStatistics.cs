namespace Mirage.Statistics;

/// <summary>
/// One row of statistics.csv. <see cref="Test"/> is <c>agreement</c> (the value on one split, with its pooled
/// interval; not a test), <c>agreement_gap</c> (agreement on <see cref="Reference"/> minus agreement on
/// <see cref="Split"/>) or <c>accuracy_vs_model</c> (proxy accuracy minus model accuracy on the same scored positions
/// of <see cref="Split"/>). Estimates are means over seeds; intervals and p-values come from the pooled bootstrap;
/// q-values are Benjamini–Hochberg adjusted over every test of the study.
/// </summary>
public sealed record StatRow(string Test, string Proxy, int? Parameter, string Site, int? Head, string Category, string Split, string Reference,
    double? Estimate, double? CiLow, double? CiHigh, double? PValue, double? QValue, bool Significant, int Seeds, int Resamples);

/// <summary>
/// The study's statistics, computed from the per-sequence outcomes of every seed: pooled intervals (seeds and
/// sequences resampled, <see cref="PooledBootstrap"/>) for each proxy's agreement on each split, and two families of
/// tests — the agreement gap to the reference split, and the proxy's accuracy against the model's on the same
/// positions — at every sweep point, head, split and category. All tests form one family whose false discovery
/// rate is controlled at <see cref="Fdr"/> (Benjamini–Hochberg): a reader can trust the list of discoveries as a
/// whole, not only each line alone.
/// </summary>
public sealed class StudyStatistics
{
    public const string Agreement = "agreement", AgreementGap = "agreement_gap" /* = SplitFaithfulness.Gap(Agreement), the same name as in faithfulness.csv */,
        AgreementGapLengthMatched = "agreement_gap_length_matched", AccuracyVsModel = "accuracy_vs_model";
    public const int DefaultResamples = 10_000;
    public const double DefaultFdr = 0.05;
    static readonly string[] Needed = ["agreement", "proxy_accuracy", "model_accuracy"];

    public required IReadOnlyList<StatRow> Rows { get; init; }
    public required double Fdr { get; init; }
    public required int Resamples { get; init; }
    /// <summary>The reference split the findings lead with (<c>--reference-split</c>).</summary>
    public required string Reference { get; init; }
    /// <summary>Every reference split gaps were measured against (Dyck: iid and seen_structure), the in-distribution split first.</summary>
    public required IReadOnlyList<string> References { get; init; }
    public required int Seeds { get; init; }

    readonly Dictionary<(string, string, int?, string, int?, string, string, string), StatRow> _index = new();

    public IEnumerable<StatRow> Tests => Rows.Where(r => r.Test != Agreement);

    /// <summary>The tests of the false-discovery family: every test once, so without the mirrored gaps (<see cref="IsMirror"/>).</summary>
    public int TestCount => Tests.Count(r => !IsMirror(r));

    /// <summary>
    /// A gap between two reference splits measured against the later one (Dyck: <c>seen_structure − iid</c>) mirrors
    /// the gap measured against the earlier one (<c>iid − seen_structure</c>): the same hypothesis. Its row is kept,
    /// so that each reference's table is complete, with its mirror's q-value; the family counts it once.
    /// </summary>
    public bool IsMirror(StatRow r) => IsMirrorOf(r.Test, r.Split, r.Reference, References);

    static bool IsMirrorOf(string test, string split, string reference, IReadOnlyList<string> references)
    {
        if (test != AgreementGap) return false;
        var order = references.ToList();
        int s = order.IndexOf(split), own = order.IndexOf(reference);
        return s >= 0 && own >= 0 && s < own;
    }

    /// <summary>A row by its keys; an agreement gap is taken against <paramref name="reference"/>, by default the lead <see cref="Reference"/>.</summary>
    public StatRow? Find(string test, string proxy, int? parameter, string site, int? head, string split, string category = OutcomeKey.AllCategories, string? reference = null)
    {
        if (_index.Count == 0) foreach (var r in Rows) _index[(r.Test, r.Proxy, r.Parameter, r.Site, r.Head, r.Split, r.Category, r.Reference)] = r;
        return _index.GetValueOrDefault((test, proxy, parameter, site, head, split, category,
            test == AgreementGap ? reference ?? Reference : test == AgreementGapLengthMatched ? reference ?? References[0] : ""));
    }

    sealed record Target(string Proxy, int? Parameter, string Site, int? Head, string Category);

    /// <param name="references">
    /// The splits gaps are measured against, the in-distribution one first (its split gets no accuracy test: the
    /// question there is out-of-distribution generalization); <paramref name="lead"/> is the one findings lead with.
    /// </param>
    /// <param name="lengths">Per split, each sequence's length; with <paramref name="lengthBinWidth"/> &gt; 0, the
    /// length-matched gaps to the in-distribution reference are tested too.</param>
    public static StudyStatistics Compute(IReadOnlyList<SequenceOutcomes> outcomes, IReadOnlyList<string> splits, IReadOnlyList<string> references, string lead,
        int resamples = DefaultResamples, double fdr = DefaultFdr, IReadOnlyDictionary<string, int[]>? lengths = null, int lengthBinWidth = 0)
    {
        if (resamples < 1) throw new UserError($"--resamples must be >= 1, found {resamples}");
        if (!references.Contains(lead)) throw new UserError($"--reference-split {lead}: expected one of {string.Join(", ", references)}");
        var cells = new Dictionary<OutcomeKey, SequenceOutcomes>();
        foreach (var c in outcomes.Where(c => Needed.Contains(c.Key.Metric))) cells[c.Key] = c;
        var seeds = cells.Keys.Select(k => k.Seed).Distinct().Order().ToArray();
        var targets = cells.Keys.Select(k => new Target(k.Proxy, k.Parameter, k.Site, k.Head, k.Category)).Distinct()
            .OrderBy(t => t.Proxy, StringComparer.Ordinal).ThenBy(t => t.Site, StringComparer.Ordinal).ThenBy(t => t.Head)
            .ThenBy(t => t.Parameter).ThenBy(t => t.Category, StringComparer.Ordinal).ToList();
        var seedDraws = PooledBootstrap.SeedDraws(seeds.Length, resamples, StableHash.Of("pooled-bootstrap-seeds", seeds.Length, resamples));
        // Length bins per split (when the task's lengths vary): the matched gap compares agreement within each bin.
        var bins = new Dictionary<string, int[]>();
        if (lengthBinWidth > 0 && lengths is not null)
            foreach (var split in splits.Where(lengths.ContainsKey))
                bins[split] = lengths[split].Select(l => Evaluation.LengthBins.Of(l, lengthBinWidth)).ToArray();

        // Per split: its sequence count (every cell must agree) and its bootstrap draws, made once and shared by all
        // statistics on the split. Replicates are then made one target at a time and dropped after it.
        var draws = new Dictionary<string, SequenceDraws>();
        foreach (var split in splits)
        {
            var sizes = cells.Values.Where(c => c.Key.Split == split).Select(c => c.Numerator.Length).Distinct().ToArray();
            if (sizes.Length > 1) throw new UserError($"outcomes of split {split} have different sequence counts ({sizes[0]} and {sizes[1]})");
            if (sizes.Length == 1) draws[split] = new SequenceDraws(sizes[0], resamples, StableHash.Of("pooled-bootstrap", split, sizes[0], resamples));
        }

        var rows = new List<StatRow>();
        var tests = new List<int>();   // indices into rows that are tests
        var mirrors = new List<int>();   // indices of gaps between two references measured the other way round (IsMirror)
        foreach (var t in targets)
        {
            // Every vector this target needs (each cell's counts, and per length bin the agreeing and scored
            // positions): their exact sums, and their sums under every draw of their split.
            var full = new Dictionary<(int Seed, string Split, string Part), long>();
            var reps = new Dictionary<(int Seed, string Split, string Part), long[]>();
            foreach (var split in splits)
            {
                if (!draws.TryGetValue(split, out var splitDraws)) continue;
                var vectors = new List<int[]>();
                var keys = new List<(int, string, string)>();
                foreach (var seed in seeds)
                {
                    var present = Needed.Select(m => cells.GetValueOrDefault(new OutcomeKey(seed, t.Proxy, t.Parameter, t.Site, t.Head, split, t.Category, m))).ToArray();
                    if (present.Any(c => c is null)) continue;
                    foreach (var (c, part) in present.Zip(Needed)) { vectors.Add(Counts(c!.Numerator, c.Key)); keys.Add((seed, split, part)); }
                    var agreeing = vectors[^3];
                    var scored = Counts(present[0]!.Denominator, present[0]!.Key);
                    vectors.Add(scored); keys.Add((seed, split, "scored"));
                    if (bins.TryGetValue(split, out var bin) && bin.Length == splitDraws.Sequences)
                        foreach (var b in bin.Distinct().Order())
                        {
                            vectors.Add(Masked(agreeing, bin, b)); keys.Add((seed, split, $"agreement@{b}"));
                            vectors.Add(Masked(scored, bin, b)); keys.Add((seed, split, $"scored@{b}"));
                        }
                }
                if (vectors.Count == 0) continue;
                var sums = splitDraws.Sums(vectors);
                for (int i = 0; i < keys.Count; i++) { reps[keys[i]] = sums[i]; full[keys[i]] = vectors[i].Sum(x => (long)x); }
            }

            // Every statistic is a mean over seeds of a per-seed function f of sums of (split, part) vectors: the exact
            // sums give the estimate, the resampled ones each replicate, whose seeds are weighted by how often they were drawn.
            (double? Est, double[] Reps, int Seeds) Pool((string Split, string Part)[] parts, Func<long[], double> f)
            {
                var per = seeds.Select(s => f(parts.Select(p => full[(s, p.Split, p.Part)]).ToArray())).Where(double.IsFinite).ToArray();
                double? est = per.Length == 0 ? null : per.Average();
                var arrays = seeds.Select(s => parts.Select(p => reps[(s, p.Split, p.Part)]).ToArray()).ToArray();
                var buf = new long[parts.Length];
                var r = new double[resamples];
                for (int b = 0; b < resamples; b++)
                {
                    double sum = 0; int w = 0;
                    for (int i = 0; i < seeds.Length; i++)
                    {
                        int drawn = seedDraws[b][i];
                        if (drawn == 0) continue;
                        for (int k = 0; k < buf.Length; k++) buf[k] = arrays[i][k][b];
                        double v = f(buf);
                        if (!double.IsFinite(v)) continue;
                        sum += drawn * v; w += drawn;
                    }
                    r[b] = w == 0 ? double.NaN : sum / w;
                }
                return (est, r, per.Length);
            }
            bool Has(string split) => seeds.All(s => full.ContainsKey((s, split, "scored")));
            void Add(string test, string split, string reference, (double? Est, double[] Reps, int Seeds) v, bool isTest)
            {
                var (lo, hi, p) = PooledBootstrap.Summarize(v.Reps);
                bool mirror = isTest && IsMirrorOf(test, split, reference, references);
                if (mirror) mirrors.Add(rows.Count);
                else if (isTest) tests.Add(rows.Count);
                rows.Add(new StatRow(test, t.Proxy, t.Parameter, t.Site, t.Head, t.Category, split, reference, v.Est, Fin(lo), Fin(hi), isTest ? Fin(p) : null, null, false, v.Seeds, resamples));
            }

            foreach (var split in splits.Where(Has))
                Add(Agreement, split, "", Pool([(split, "agreement"), (split, "scored")], x => Ratio(x[0], x[1])), isTest: false);
            foreach (var reference in references.Where(Has))
                foreach (var split in splits.Where(s => s != reference && Has(s)))
                    Add(AgreementGap, split, reference, Pool([(reference, "agreement"), (reference, "scored"), (split, "agreement"), (split, "scored")],
                        x => Ratio(x[0], x[1]) - Ratio(x[2], x[3])), isTest: true);
            // Length-matched: the gap within each length bin, weighted by the split's scored positions in that bin
            // (bins the reference lacks are left out), so longer sequences on the split cannot make a gap by themselves.
            var inDist = references[0];
            if (bins.ContainsKey(inDist) && Has(inDist))
                foreach (var split in splits.Where(s => s != inDist && Has(s) && bins.ContainsKey(s)))
                {
                    var shared = bins[split].Distinct().Intersect(bins[inDist].Distinct()).Order().ToArray();
                    var parts = shared.SelectMany(b => new[] { (inDist, $"agreement@{b}"), (inDist, $"scored@{b}"), (split, $"agreement@{b}"), (split, $"scored@{b}") }).ToArray();
                    Add(AgreementGapLengthMatched, split, inDist, Pool(parts, x =>
                    {
                        double gap = 0, weight = 0;
                        for (int k = 0; k < x.Length; k += 4)
                        {
                            if (x[k + 1] == 0 || x[k + 3] == 0) continue;
                            gap += x[k + 3] * ((double)x[k] / x[k + 1] - (double)x[k + 2] / x[k + 3]);
                            weight += x[k + 3];
                        }
                        return weight == 0 ? double.NaN : gap / weight;
                    }), isTest: true);
                }
            // Paired: proxy and model scored on the same positions, so the difference is taken per sequence.
            foreach (var split in splits.Where(s => s != inDist && Has(s)))
                Add(AccuracyVsModel, split, "", Pool([(split, "proxy_accuracy"), (split, "model_accuracy"), (split, "scored")], x => Ratio(x[0] - x[1], x[2])), isTest: true);
        }
        var q = BenjaminiHochberg.QValues(tests.Select(i => rows[i].PValue ?? double.NaN).ToList());
        for (int j = 0; j < tests.Count; j++)
            rows[tests[j]] = rows[tests[j]] with { QValue = Fin(q[j]), Significant = double.IsFinite(q[j]) && q[j] <= fdr };
        // A mirror is the same hypothesis as the gap it mirrors (its replicates are theirs negated, on the same draws,
        // so its p-value is the same): it takes that test's q-value and verdict instead of being counted twice.
        var gaps = tests.Select(i => rows[i]).Where(r => r.Test == AgreementGap)
            .ToDictionary(r => (r.Proxy, r.Parameter, r.Site, r.Head, r.Category, r.Split, r.Reference));
        foreach (var m in mirrors)
        {
            var r = rows[m];
            var of = gaps.GetValueOrDefault((r.Proxy, r.Parameter, r.Site, r.Head, r.Category, r.Reference, r.Split));
            rows[m] = r with { QValue = of?.QValue, Significant = of?.Significant ?? false };
        }
        return new StudyStatistics { Rows = rows, Fdr = fdr, Resamples = resamples, Reference = lead, References = references.ToList(), Seeds = seeds.Length };
    }

    static double Ratio(long num, long den) => den == 0 ? double.NaN : (double)num / den;

    static int[] Masked(int[] v, int[] bin, int b)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++) if (bin[i] == b) r[i] = v[i];
        return r;
    }

    static double? Fin(double v) => double.IsFinite(v) ? v : null;

    /// <summary>The tests use counts; a non-integral value means the file is not what it claims to be.</summary>
    static int[] Counts(float[] v, OutcomeKey key)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            r[i] = (int)MathF.Round(v[i]);
            if (MathF.Abs(v[i] - r[i]) > 1e-3f || v[i] < 0) throw new UserError($"{OutcomesFile.FileName}: {key.TensorName("")} holds {v[i]}, expected a count of positions");
        }
        return r;
    }
}
