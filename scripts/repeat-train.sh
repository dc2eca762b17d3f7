#!/usr/bin/env bash
# Trains one tiny model (the size of the determinism tests') many times, each in a fresh process, optionally beside
# busy loops that compete for the cores, and counts how many different results came out. "1 distinct result" is what
# Mirage promises: the same command gives the same loss curve and the same weights every time.
#
#   scripts/repeat-train.sh [--runs N] [--busy B] [--steps S] [--mirage PATH] OUT_DIR
#
#   --runs N      trainings (default 25)
#   --busy B      busy loops running beside them, each one process spinning on a core (default 0)
#   --steps S     training steps per run (default 1500)
#   --mirage PATH the mirage to run (default: this repository's ./mirage)
#
# OUT_DIR must not exist; it keeps the data, the runs and a summary (OUT_DIR/summary.txt). Exits 0 when every run
# gave the first run's result, 1 when some differed, 2 on a usage error.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=25 busy=0 steps=1500 mirage="$root/mirage"
usage() { echo "usage: scripts/repeat-train.sh [--runs N] [--busy B] [--steps S] [--mirage PATH] OUT_DIR" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="${2:?}"; shift 2 ;;
    --busy) busy="${2:?}"; shift 2 ;;
    --steps) steps="${2:?}"; shift 2 ;;
    --mirage) mirage="${2:?}"; shift 2 ;;
    -*) usage ;;
    *) [[ -z "${out:-}" ]] || usage; out="$1"; shift ;;
  esac
done
[[ -n "${out:-}" ]] || usage
for n in "$runs" "$busy" "$steps"; do [[ "$n" =~ ^[0-9]+$ ]] || { echo "repeat-train: --runs, --busy and --steps take whole numbers, got '$n'" >&2; exit 2; }; done
[[ ! -e "$out" ]] || { echo "repeat-train: $out already exists; give a new directory" >&2; exit 2; }
mkdir -p "$out"

echo '{"k": 4, "max_depth": 4, "max_length": 40, "short_max_length": 20, "train": 1000, "per_split": 40, "min_distance": 2}' > "$out/data.json"
cat > "$out/train.json" <<EOF
{"model": {"layers": 1, "heads": 1, "d_model": 16, "d_mlp": 32, "context_length": 41},
 "training": {"steps": $steps, "batch_size": 16, "warmup_steps": 5, "eval_every": 500, "eval_sequences": 40,
              "checkpoint_every": 100, "target_accuracy": 0, "length_bucket_batches": 2, "learning_rate": 0.003}}
EOF
"$mirage" data dyck --out "$out/data" --config "$out/data.json" > /dev/null

pids=()
stop_busy() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_busy EXIT
for ((b = 0; b < busy; b++)); do (while :; do :; done) & pids+=($!); done

for ((i = 1; i <= runs; i++)); do
  "$mirage" train --data "$out/data" --out "$out/run$i" --config "$out/train.json" --quiet > /dev/null
  # One fingerprint per run: its loss curve and its weights (timing.csv holds wall-clock figures, left out).
  cat "$out/run$i/loss.csv" "$out/run$i/checkpoint/model.safetensors" | sha256sum | cut -c1-16 > "$out/run$i/fingerprint"
done
stop_busy

distinct=$(cat "$out"/run*/fingerprint | sort | uniq -c | sort -rn)
n=$(echo "$distinct" | wc -l)
{
  echo "$runs trainings of $steps steps beside $busy busy loops: $n distinct result(s)"
  echo "$distinct" | awk '{ print "  " $1 " run(s): " $2 }'
} | tee "$out/summary.txt"
[[ "$n" -eq 1 ]]
