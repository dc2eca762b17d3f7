using System.Globalization;
using System.Text;
using Mirage.IO;

namespace Mirage.Training;

/// <summary>
/// The training curve, in two files. <c>RUN/loss.csv</c> (step, lr, loss, val_accuracy — the task metric on the
/// validation split at evaluation steps) is a pure function of the
/// settings, the data and the thread count: two runs with one seed write the same bytes. <c>RUN/timing.csv</c>
/// (step, tokens_per_s, elapsed_s, padded_length, step_s, tokens) holds the wall-clock figures, which differ every run,
/// and each batch's padded length and predicted tokens, so that a step's time can be read against its size; join the
/// two on step.
/// Both are rewritten atomically at each checkpoint, so after a resume they hold exactly the rows up to the
/// checkpointed step and then the new ones.
/// </summary>
public sealed class LossLog(string runDir)
{
    public const string LossFile = "loss.csv", TimingFile = "timing.csv";
    const string LossHeader = "step,lr,loss,val_accuracy", TimingHeader = "step,tokens_per_s,elapsed_s,padded_length,step_s,tokens";
    readonly List<TrainStep> _rows = new();
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public IReadOnlyList<TrainStep> Rows => _rows;

    public double LastElapsed => _rows.Count == 0 ? 0 : _rows[^1].ElapsedSeconds;

    public void Add(TrainStep row) => _rows.Add(row);

    /// <summary>Reloads the rows up to <paramref name="step"/> (a resume); a row that cannot be read is only a plot point and is dropped.</summary>
    public void LoadUpTo(long step)
    {
        _rows.Clear();
        var loss = Path.Combine(runDir, LossFile);
        if (!File.Exists(loss)) return;
        var timing = new Dictionary<long, (double TokensPerS, double Elapsed, int Padded, double StepS, long Tokens)>();
        var timingPath = Path.Combine(runDir, TimingFile);
        if (File.Exists(timingPath))
            foreach (var line in File.ReadLines(timingPath).Skip(1))
            {
                // Three columns in runs written before padded_length and step_s existed, five before tokens: the
                // missing ones read as 0.
                var f = line.Split(',');
                if (f.Length is not (3 or 5 or 6) || !long.TryParse(f[0], Ci, out var s) || !double.TryParse(f[1], Ci, out var tps) || !double.TryParse(f[2], Ci, out var el))
                    continue;
                int padded = 0; double stepS = 0; long tokens = 0;
                if (f.Length >= 5 && !(int.TryParse(f[3], Ci, out padded) && double.TryParse(f[4], Ci, out stepS))) continue;
                if (f.Length == 6 && !long.TryParse(f[5], Ci, out tokens)) continue;
                timing[s] = (tps, el, padded, stepS, tokens);
            }
        foreach (var line in File.ReadLines(loss).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length != 4 || !long.TryParse(f[0], Ci, out var s)) continue;
            if (s > step) break;
            timing.TryGetValue(s, out var t);
            _rows.Add(new TrainStep(s, double.Parse(f[1], Ci), double.Parse(f[2], Ci), f[3] == "" ? null : double.Parse(f[3], Ci), t.TokensPerS, t.Elapsed, t.Padded, t.StepS, t.Tokens));
        }
    }

    public void Save()
    {
        var loss = new StringBuilder(LossHeader).Append('\n');
        var timing = new StringBuilder(TimingHeader).Append('\n');
        foreach (var r in _rows)
        {
            loss.Append(r.Step).Append(',').Append(r.Lr.ToString("R", Ci)).Append(',').Append(r.Loss.ToString("R", Ci)).Append(',')
                .Append(r.ValAccuracy?.ToString("R", Ci) ?? "").Append('\n');
            timing.Append(r.Step).Append(',').Append(r.TokensPerSecond.ToString("F0", Ci)).Append(',').Append(r.ElapsedSeconds.ToString("F2", Ci)).Append(',')
                .Append(r.PaddedLength).Append(',').Append(r.StepSeconds.ToString("F4", Ci)).Append(',').Append(r.Tokens).Append('\n');
        }
        AtomicFile.WriteAllText(Path.Combine(runDir, LossFile), loss.ToString());
        AtomicFile.WriteAllText(Path.Combine(runDir, TimingFile), timing.ToString());
    }
}
