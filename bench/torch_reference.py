#!/usr/bin/env python3
"""PyTorch reference model for `mirage bench train`.

Trains and runs, on random tokens, the same decoder-only Transformer that
Mirage trains (src/Mirage/Model/): a token embedding plus learned absolute
positions, pre-LayerNorm blocks whose attention computes queries, keys and
values with one fused linear map and an explicit causal softmax, a GELU MLP,
a final LayerNorm and an unembedding with bias. Weights start from the GPT-2
initialisation Mirage uses: normal(0, 0.02) for every weight matrix and
embedding, zero biases, unit LayerNorm gains. The optimiser is AdamW with
weight decay on matrices only, as in src/Mirage/Training/AdamW.cs.

Timing follows src/Mirage/Benchmarks/TrainBenchmark.cs: warm-up steps, then
--reps timed repetitions of --steps steps, for training (as Mirage's
GradientStep and trainer do it: cross-entropy on the next token with PAD (id
0) targets ignored, backward pass, gradients clipped to norm 1, the loss read
back, AdamW step) and for inference (a forward pass without gradients). The
random tokens avoid id 0, so every target counts. A training step predicts
seq_len - 1 tokens of each sequence; an inference step reads all seq_len
tokens. Each throughput is the median over the repetitions; the per-repetition
figures are reported beside it.

Contract with `mirage bench train` (src/Mirage.Cli/Commands/BenchCommand.cs):
it passes --layers, --heads, --d-model, --d-mlp, --vocab, --seq-len, --batch,
--steps, --reps and --threads, and reads the last line of standard output that
starts with "{" as one JSON object holding at least "torch" (the PyTorch
version), "train_tokens_per_s" and "infer_tokens_per_s" (medians) and
"train_tokens_per_s_reps" and "infer_tokens_per_s_reps" (one figure per
repetition). Peak memory is sampled by the
caller from outside this process, so it is not reported here. The caller also
unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for this process so that
PyTorch's OpenBLAS runs at its best.

Needs only PyTorch and the standard library (Debian: python3-torch). Example:

    python3 bench/torch_reference.py --layers 2 --heads 4 --d-model 128 \\
        --d-mlp 512 --vocab 43 --seq-len 64 --batch 128 --steps 20 \\
        --reps 5 --threads 2
"""

import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    """Causal multi-head self-attention with fused q/k/v.

    The pattern is computed explicitly, softmax(q k^T / sqrt(d_head)) with
    future keys masked, rather than by a fused attention kernel: an
    interpretability model needs the pattern as a tensor, and Mirage computes
    it the same way, so both sides do the same work.
    """

    def __init__(self, d_model, heads, context_length):
        super().__init__()
        self.heads = heads
        self.d_head = d_model // heads
        self.scale = 1.0 / math.sqrt(self.d_head)
        self.qkv = nn.Linear(d_model, 3 * heads * self.d_head)
        self.out_proj = nn.Linear(heads * self.d_head, d_model)
        # True above the diagonal: keys later than the query.
        mask = torch.ones(context_length, context_length).triu(1).bool()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x):
        b, t, _ = x.shape
        # Fused output laid out as (q/k/v, head, d_head), as in Mirage.
        qkv = self.qkv(x).view(b, t, 3, self.heads, self.d_head)
        # Each of q, k, v: [batch, head, pos, d_head].
        q, k, v = (part.transpose(1, 2) for part in qkv.unbind(2))
        scores = (q @ k.transpose(-2, -1)) * self.scale  # [b, head, q, k]
        scores = scores.masked_fill(self.mask[:t, :t], float("-inf"))
        pattern = scores.softmax(dim=-1)
        z = (pattern @ v).transpose(1, 2)                # [b, pos, head, dh]
        return self.out_proj(z.reshape(b, t, self.heads * self.d_head))


class Mlp(nn.Module):
    """d_model -> d_mlp -> GELU -> d_model."""

    def __init__(self, d_model, d_mlp):
        super().__init__()
        self.fc_in = nn.Linear(d_model, d_mlp)
        self.fc_out = nn.Linear(d_mlp, d_model)

    def forward(self, x):
        return self.fc_out(F.gelu(self.fc_in(x)))


class Block(nn.Module):
    """A pre-LayerNorm block: x + attn(ln1(x)), then + mlp(ln2(x))."""

    def __init__(self, d_model, heads, d_mlp, context_length):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = Attention(d_model, heads, context_length)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = Mlp(d_model, d_mlp)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    """Embeddings, blocks, final LayerNorm and unembedding."""

    def __init__(self, vocab, context_length, layers, heads, d_model, d_mlp):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos_embed = nn.Parameter(torch.zeros(context_length, d_model))
        self.blocks = nn.ModuleList(
            Block(d_model, heads, d_mlp, context_length)
            for _ in range(layers))
        self.ln_final = nn.LayerNorm(d_model)
        self.unembed = nn.Linear(d_model, vocab)
        self._init_weights()

    def _init_weights(self):
        """GPT-2 initialisation by parameter name, as Mirage does it."""
        with torch.no_grad():
            for name, p in self.named_parameters():
                if "ln" in name:
                    if name.endswith("weight"):
                        p.fill_(1.0)
                    else:
                        p.zero_()
                elif name.endswith("bias"):
                    p.zero_()
                else:
                    nn.init.normal_(p, mean=0.0, std=0.02)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos_embed[:tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.unembed(self.ln_final(x))


def make_optimizer(model, lr=1e-3, weight_decay=0.01):
    """AdamW (betas 0.9 and 0.999, eps 1e-8) decaying matrices only.

    Biases and LayerNorm parameters (fewer than two dimensions) are not
    decayed, as in Mirage's AdamW.
    """
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def timed(step, warmup, steps, reps):
    """Calls `step` `warmup` times, then returns the seconds of each of
    `reps` repetitions of `steps` calls."""
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        seconds.append(time.perf_counter() - start)
    return seconds


def parse_args():
    parser = argparse.ArgumentParser(
        description="PyTorch reference for `mirage bench train`: "
                    "training and inference tokens/s.")
    # Names and defaults of TrainBenchConfig in TrainBenchmark.cs.
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=1)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--d-mlp", type=int, default=512)
    parser.add_argument("--vocab", type=int, default=43)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20,
                        help="timed steps per repetition")
    parser.add_argument("--reps", type=int, default=1,
                        help="timed repetitions of --steps steps")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed steps before each measurement")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="intra-op threads (default: PyTorch's choice)")
    args = parser.parse_args()
    for name in ("layers", "heads", "d_model", "d_mlp", "vocab", "batch",
                 "steps", "reps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.seq_len < 2:
        parser.error("--seq-len must be >= 2")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    if args.d_model % args.heads != 0:
        parser.error("--d-model must be a multiple of --heads")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    return args


def main():
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    model = Transformer(args.vocab, args.seq_len, args.layers, args.heads,
                        args.d_model, args.d_mlp)
    optimizer = make_optimizer(model)
    # From 1: id 0 is PAD, an ignored target, and every target should count.
    tokens = torch.randint(1, args.vocab, (args.batch, args.seq_len))
    inputs = tokens[:, :-1].contiguous()
    targets = tokens[:, 1:].contiguous()

    def train_step():
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, args.vocab),
                               targets.reshape(-1), ignore_index=0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        loss.item()
        optimizer.step()

    def infer_step():
        model(tokens)

    model.train()
    train_seconds = timed(train_step, args.warmup, args.steps, args.reps)
    model.eval()
    with torch.no_grad():
        infer_seconds = timed(infer_step, args.warmup, args.steps, args.reps)

    train_tokens = args.batch * (args.seq_len - 1) * args.steps
    infer_tokens = args.batch * args.seq_len * args.steps
    train_rates = [train_tokens / s for s in train_seconds]
    infer_rates = [infer_tokens / s for s in infer_seconds]
    result = {
        "impl": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "config": vars(args),
        "train_seconds": train_seconds,
        "infer_seconds": infer_seconds,
        "train_tokens_per_s": statistics.median(train_rates),
        "infer_tokens_per_s": statistics.median(infer_rates),
        "train_tokens_per_s_reps": train_rates,
        "infer_tokens_per_s_reps": infer_rates,
    }
    # One line, the last on stdout: the caller parses it.
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
