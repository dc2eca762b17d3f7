using System.Globalization;
using System.Text;
using Mirage.IO;

namespace Mirage.Training;

/// <summary>
/// The training curve, RUN/loss.csv (step, lr, loss, iid_accuracy, tokens_per_s, elapsed_s). Rewritten atomically at
/// each checkpoint, so after a resume it holds exactly the rows up to the checkpointed step and then the new ones.
/// </summary>
public sealed class LossLog(string path)
{
    const string Header = "step,lr,loss,iid_accuracy,tokens_per_s,elapsed_s";
    readonly List<TrainStep> _rows = new();

    public IReadOnlyList<TrainStep> Rows => _rows;

    public double LastElapsed => _rows.Count == 0 ? 0 : _rows[^1].ElapsedSeconds;

    public void Add(TrainStep row) => _rows.Add(row);

    public void LoadUpTo(long step)
    {
        _rows.Clear();
        if (!File.Exists(path)) return;
        var ci = CultureInfo.InvariantCulture;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length != 6 || !long.TryParse(f[0], ci, out var s)) continue; // a row we cannot read is only a plot point
            if (s > step) break;
            _rows.Add(new TrainStep(s, double.Parse(f[1], ci), double.Parse(f[2], ci), f[3] == "" ? null : double.Parse(f[3], ci), double.Parse(f[4], ci), double.Parse(f[5], ci)));
        }
    }

    public void Save()
    {
        var sb = new StringBuilder(Header).Append('\n');
        var ci = CultureInfo.InvariantCulture;
        foreach (var r in _rows)
            sb.Append(r.Step).Append(',').Append(r.Lr.ToString("R", ci)).Append(',').Append(r.Loss.ToString("R", ci)).Append(',')
              .Append(r.IidAccuracy?.ToString("R", ci) ?? "").Append(',').Append(r.TokensPerSecond.ToString("F0", ci)).Append(',')
              .Append(r.ElapsedSeconds.ToString("F2", ci)).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
