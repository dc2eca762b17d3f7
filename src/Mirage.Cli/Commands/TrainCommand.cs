using System.CommandLine;
using System.Text.Json;
using Mirage.Cli.Display;
using Mirage.Cli.Terminal;
using Mirage.IO;
using Mirage.Model;
using Mirage.Study;
using Mirage.Tasks;
using Mirage.Training;

namespace Mirage.Cli.Commands;

/// <summary>
/// <c>mirage train --data DIR --out RUN</c>: trains a model on a data directory; rerunning the same command on RUN
/// resumes from its checkpoint. Settings come from the defaults, then <c>--config FILE</c>
/// (<c>{"model": {...}, "training": {...}}</c>), then the flags.
/// </summary>
public static class TrainCommand
{
    /// <summary>The shape of a <c>--config</c> file.</summary>
    public sealed record TrainFile
    {
        /// <summary>Fields given here replace the task's defaults (<see cref="ISequenceTask.DefaultModel"/>, <see cref="TrainingDefaults"/>); the rest are kept.</summary>
        public ModelConfig? Model { get; init; }
        public TrainConfig? Training { get; init; }
    }

    public static Command Create(CliContext ctx)
    {
        var data = new Option<string>("--data") { Description = "Data directory from `mirage data`", Required = true };
        var output = new Option<string>("--out") { Description = "Run directory (checkpoint, loss.csv); resumes if it holds a checkpoint", Required = true };
        var config = new Option<string?>("--config") { Description = "JSON file with \"model\" and \"training\" sections (snake_case fields)" };
        var seed = new Option<int?>("--seed") { Description = "Seed for weight init and batch order (default 0)" };
        var steps = new Option<int?>("--steps") { Description = "Step budget and cosine length (default: the task's; Dyck 10000, code 1000)" };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default 1e-3)" };
        var batch = new Option<int?>("--batch-size") { Description = "Sequences per step (default 128)" };
        var target = new Option<double?>("--target-accuracy") { Description = "Stop when validation accuracy reaches this (default: the task's; Dyck 0.975, code 0 = never)" };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Measure validation accuracy every N steps (default: the task's; 250)" };
        var ckptEvery = new Option<int?>("--checkpoint-every") { Description = "Checkpoint every N steps (default 1000)" };
        var layers = new Option<int?>("--layers") { Description = "Transformer blocks (default: the task's, 2)" };
        var heads = new Option<int?>("--heads") { Description = "Attention heads per block (default: the task's; Dyck 1, code 4)" };
        var dModel = new Option<int?>("--d-model") { Description = "Residual width (default: the task's; Dyck 128, code 256)" };
        var dHead = new Option<int?>("--d-head") { Description = "Width of a head (default d_model / heads)" };
        var dMlp = new Option<int?>("--d-mlp") { Description = "MLP hidden width (default: the task's; Dyck 512, code 1024)" };
        var ctxLen = new Option<int?>("--context-length") { Description = "Positions the model embeds (default: the task's; Dyck 130, code window + 1)" };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default 2); results are bit-identical only at the same thread count" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress display; one summary line" };

        var cmd = new Command("train", "Train a Transformer on a task's train split (resumes from RUN's checkpoint).")
        { data, output, config, seed, steps, lr, batch, target, evalEvery, ckptEvery, layers, heads, dModel, dHead, dMlp, ctxLen, threads, quiet };
        cmd.SetAction(r =>
        {
            string? cf = r.GetValue(config);
            JsonElement? file = cf is null ? null : Json.LoadConfigDocument<TrainFile>(cf, "training config");
            // The output is checked before the data is read: a bad --out fails at once.
            OutputDirectory.Check(r.GetValue(output), "--out", Checkpoint.RunKind, [r.GetValue(data), r.GetValue(config)]);
            var td = TaskDataLoader.Load(r.GetValue(data)!);
            // Task defaults first (the model size differs between Dyck and code), then the fields the config file
            // gives, then flags.
            var m0 = file is JsonElement fm ? Json.Overlay(td.Task.DefaultModel, fm, "model", cf!) : td.Task.DefaultModel;
            var t0 = file is JsonElement ft ? Json.Overlay(TrainingDefaults.For(td.Task), ft, "training", cf!) : TrainingDefaults.For(td.Task);
            var mc = m0 with
            {
                Layers = r.GetValue(layers) ?? m0.Layers, Heads = r.GetValue(heads) ?? m0.Heads,
                DModel = r.GetValue(dModel) ?? m0.DModel, DHead = r.GetValue(dHead) ?? m0.DHead,
                DMlp = r.GetValue(dMlp) ?? m0.DMlp, ContextLength = r.GetValue(ctxLen) ?? m0.ContextLength,
            };
            var tc = t0 with
            {
                Seed = r.GetValue(seed) ?? t0.Seed, Steps = r.GetValue(steps) ?? t0.Steps,
                LearningRate = r.GetValue(lr) ?? t0.LearningRate, BatchSize = r.GetValue(batch) ?? t0.BatchSize,
                TargetAccuracy = r.GetValue(target) ?? t0.TargetAccuracy, EvalEvery = r.GetValue(evalEvery) ?? t0.EvalEvery,
                CheckpointEvery = r.GetValue(ckptEvery) ?? t0.CheckpointEvery, Threads = r.GetValue(threads) ?? t0.Threads,
            };
            tc.Validate(r.GetValue(config) ?? "training settings");
            return Run(ctx, td, mc, tc, r.GetValue(output)!, r.GetValue(quiet), [r.GetValue(config)]);
        });
        return cmd;
    }

    /// <summary>
    /// Trains into <paramref name="run"/> (<see cref="TrainingStage"/>: resuming its checkpoint, under its lock), with a
    /// progress bar on a terminal. SIGINT/SIGTERM stop it after a checkpoint (exit 130/143); the same command resumes.
    /// </summary>
    public static int Run(CliContext ctx, TaskData data, ModelConfig mc, TrainConfig tc, string run, bool quiet, IEnumerable<string?>? inputs = null)
    {
        var result = TrainingStage.Run(data, mc, tc, run, ctx.StopOnSignal(), inputs, train => TrainingDisplay.Run(ctx, quiet, tc, train));
        TrainingDisplay.Summary(ctx, run, result);
        return result.StopReason == "interrupted" ? ctx.Interruption?.ExitCode ?? 130 : 0;
    }
}
