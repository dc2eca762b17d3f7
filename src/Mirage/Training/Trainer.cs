using System.Diagnostics;
using Mirage.Evaluation;
using Mirage.IO;
using Mirage.Model;
using Mirage.Native;
using Mirage.Tasks;
using TorchSharp;

namespace Mirage.Training;



/// <summary>
/// Trains a <see cref="HookedTransformer"/> on a task's train split: next-token loss at every position (PAD targets
/// ignored), AdamW with warm-up + cosine decay, gradient clipping; measures validation accuracy (the task metric) every
/// <c>eval_every</c> steps and stops at the target or the step budget; checkpoints every <c>checkpoint_every</c> steps
/// and at the end. Given a run directory that holds a checkpoint it resumes from it, and ends bit-identical to an
/// uninterrupted run.
/// </summary>
public sealed class Trainer(TaskData data, ModelConfig modelConfig, TrainConfig config, string runDir)
{
    /// <summary>For tests and Ctrl-C: stop (after checkpointing) once this many steps are done.</summary>
    public long? StopAfterStep { get; init; }

    public CancellationToken Cancel { get; init; }

    public ITrainingProgress? Progress { get; init; }

    /// <summary>
    /// Every check of the settings against the data, without touching the run directory (the CLI calls it before it
    /// locks and writes anything). Returns the model config with the data's vocabulary size.
    /// </summary>
    public ModelConfig Check()
    {
        config.Validate();
        var mc = (modelConfig with { VocabSize = data.Task.Vocabulary.Count }).Validate();
        var train = data.Splits["train"];
        if (train.Count == 0) throw new UserError($"{data.Directory}: the train split is empty");
        // A batch cannot be larger than the split; recording a batch size that was never used would misstate the run.
        if (config.BatchSize > train.Count)
            throw new UserError($"batch_size {config.BatchSize} is larger than the train split of {data.Directory} ({train.Count} sequences); pass --batch-size {train.Count} or less");
        int longest = data.MaxEncodedLength - 1;
        if (longest > mc.ContextLength)
            throw new UserError($"{data.Directory}: sequences need {longest} positions but model context_length is {mc.ContextLength}; pass --context-length {longest} or more");
        return mc;
    }

    public TrainResult Train()
    {
        var mc = Check();
        TorchRuntime.Init(config.Threads);
        var train = data.Splits["train"];
        // Training is judged on the validation split, never on iid: iid is the baseline every gap is measured against,
        // and stopping on it would select the models on the split the study then compares with.
        var valName = data.ValidationSplit;
        var val = data.Splits[valName].Take(config.EvalSequences).ToArray();

        var log = new LossLog(runDir);
        HookedTransformer model;
        AdamW opt;
        WeightAverage? average = null;
        long step = 0;
        bool resumed = Checkpoint.Exists(runDir);
        double? lastAcc = null, iidAcc = null;
        if (resumed)
        {
            var info = Checkpoint.LoadInfo(runDir);
            CheckMatches(info, mc);
            (model, _) = Checkpoint.LoadModel(runDir);
            opt = new AdamW(model.named_parameters(), config);
            average = config.EmaDecay > 0 ? new WeightAverage(model.named_parameters(), config.EmaDecay) : null;
            Checkpoint.LoadOptimizer(runDir, opt, info, average);
            step = info.Step;
            lastAcc = info.ValAccuracy;
            log.LoadUpTo(step);
            if (info.StopReason is not null)
            {
                model.Dispose(); opt.Dispose(); average?.Dispose();
                return new TrainResult(step, info.StopReason, info.ValAccuracy, info.IidAccuracy, true, true);
            }
        }
        else
        {
            Directory.CreateDirectory(runDir);
            using var generator = new torch.Generator((ulong)config.Seed);
            model = new HookedTransformer(mc, generator);
            opt = new AdamW(model.named_parameters(), config);
            average = config.EmaDecay > 0 ? new WeightAverage(model.named_parameters(), config.EmaDecay) : null;
        }

        using var _m = model;
        using var _o = opt;
        using var _a = average;
        var order = new BatchOrder(train.Select(s => s.Length).ToArray(), config.BatchSize, config.LengthBucketBatches, config.Seed);
        var parameters = model.parameters().ToArray();
        Progress?.Started(step, config.Steps, resumed);
        var clock = Stopwatch.StartNew();
        double elapsedBefore = log.LastElapsed;
        // tokens/s over a window of recent steps, timing only the training work (not evaluation or checkpoints).
        long windowTokens = 0;
        double windowSeconds = 0, tokensPerSecond = 0;
        string? stop = null;

        while (stop is null)
        {
            double lr = LrSchedule.At((int)step, config);
            double loss;
            int paddedLength;
            long stepTokens;
            long stepStart = Stopwatch.GetTimestamp();
            model.train();
            using (var scope = torch.NewDisposeScope())
            {
                var batch = Batches.Select(train, order.Batch(step));
                var (input, target) = Batches.Make(batch);
                loss = GradientStep.Compute(model, opt, parameters, input, target, config.GradClip);
                if (!double.IsFinite(loss)) throw Diverged(loss, step + 1, lr);
                opt.Step(lr);
                average?.Update();
                stepTokens = Batches.PredictedTokens(batch);
                windowTokens += stepTokens;
                paddedLength = (int)input.shape[1];
            }
            double stepSeconds = Stopwatch.GetElapsedTime(stepStart).TotalSeconds;
            windowSeconds += stepSeconds;
            if (windowSeconds >= 2 || tokensPerSecond == 0) { tokensPerSecond = windowTokens / windowSeconds; windowTokens = 0; windowSeconds = 0; }
            step++;

            double? acc = null;
            if (step % config.EvalEvery == 0 || step >= config.Steps)
            {
                model.eval();
                using (average?.Applied()) acc = lastAcc = TaskAccuracy.Evaluate(model, data.Task, valName, val).Accuracy;
                if (config.TargetAccuracy > 0 && acc >= config.TargetAccuracy) stop = "target_accuracy";
            }
            if (stop is null && step >= config.Steps) stop = "step_budget";
            // Once stopped: the accuracy on the whole iid split, the figure a reader compares with the target.
            if (stop is not null && data.Splits.TryGetValue("iid", out var iidSeqs))
            {
                model.eval();
                using (average?.Applied()) iidAcc = TaskAccuracy.Evaluate(model, data.Task, "iid", iidSeqs).Accuracy;
            }

            var row = new TrainStep(step, lr, loss, acc, tokensPerSecond, elapsedBefore + clock.Elapsed.TotalSeconds, paddedLength, stepSeconds, stepTokens);
            log.Add(row);
            Progress?.Stepped(row);

            bool interrupted = Cancel.IsCancellationRequested || (StopAfterStep is long s && step >= s);
            if (stop is not null || interrupted || step % config.CheckpointEvery == 0)
            {
                // The curve first, then the checkpoint: a kill between the two leaves rows beyond the checkpoint,
                // which a resume drops, rather than a checkpoint whose rows were never written.
                log.Save();
                Checkpoint.Save(runDir, model, opt, new CheckpointInfo
                {
                    Task = data.Task.Name, Model = mc, Vocabulary = data.Task.Vocabulary.Tokens, Training = config,
                    Step = step, OptimizerStep = opt.StepCount, DataManifestSha256 = data.ManifestSha256,
                    DataDirectory = IO.StudyPaths.Relative(runDir, data.Directory), StopReason = stop,
                    ValAccuracy = lastAcc, IidAccuracy = iidAcc, ValidationSplit = valName,
                }, average);
            }
            if (interrupted && stop is null) return new TrainResult(step, "interrupted", lastAcc, null, resumed, false);
        }
        return new TrainResult(step, stop, lastAcc, iidAcc, resumed, false);
    }

    /// <summary>What to change, and what is left: the last checkpoint if there is one (nothing is written after a divergence).</summary>
    UserError Diverged(double loss, long step, double lr)
    {
        var kept = Checkpoint.Exists(runDir)
            ? $"the last checkpoint ({Path.Combine(Checkpoint.Dir(runDir), Checkpoint.InfoFile)}, step {Checkpoint.LoadInfo(runDir).Step}) is kept"
            : "no checkpoint was written";
        return new UserError($"training diverged: loss is {loss} at step {step} (learning rate {lr:g3}); lower --lr (now {config.LearningRate:g3}) " +
                             $"or lengthen the warm-up (\"training\": {{\"warmup_steps\": ...}} in a --config file, now {config.WarmupSteps}); {kept}");
    }

    /// <summary>A checkpoint may only be resumed with the settings it was started with (and on the same data).</summary>
    void CheckMatches(CheckpointInfo info, ModelConfig mc)
    {
        var where = Path.Combine(Checkpoint.Dir(runDir), Checkpoint.InfoFile);
        if (info.DataManifestSha256 != data.ManifestSha256)
            throw new UserError($"{where}: this run was trained on different data ({info.DataDirectory}); use the same --data or a new --out");
        Checkpoint.CheckVocabulary(info, runDir, data);
        foreach (var (field, had, want) in ConfigDiff.Fields(info.Model, mc, "model").Concat(ConfigDiff.Fields(info.Training, config, "training")))
            throw new UserError($"{where}: {field} is {had} in the checkpoint but the command asks for {want}; rerun with the same settings to resume, or use a new --out");
    }
}
