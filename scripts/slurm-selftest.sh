#!/usr/bin/env bash
# Brings up a one-node Slurm on this machine (Debian's slurmctld, slurmd and munge), runs `mirage reproduce dyck
# --scale quick` through it, and checks that the results and the report are byte-identical to the same study run
# locally. Then the failure case: a task whose input is corrupt fails with a clear message in its log, its dependents
# are cancelled, and a resubmission after the fix finishes the study — again byte-identical. Stops the daemons it
# started, and only those. Needs root (apt-get, daemons). Usage: scripts/slurm-selftest.sh [WORKDIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/mirage-slurm-XXXXXX)}"
mkdir -p "$work"
say() { echo "slurm-selftest: $*"; }
fail() { echo "slurm-selftest: FAILED: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "needs root (installs Debian packages and starts the Slurm daemons)"
start=$(date +%s)

# 1. Debian's Slurm and munge.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  say "installing slurmctld slurmd munge slurm-client"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd munge slurm-client >/dev/null
fi

# 2. A private configuration: its own munge socket and key, its own spool and state, under $work.
host=$(hostname -s)
etc="$work/etc"; run="$work/run"; mkdir -p "$etc" "$run/munge" "$run/slurmd" "$run/slurmctld" "$work/log"
chown -R munge:munge "$run/munge" 2>/dev/null || true
key="$etc/munge.key"
if [[ ! -f $key ]]; then head -c 1024 /dev/urandom > "$key"; fi
chown munge:munge "$key"; chmod 400 "$key"
socket="$run/munge/munge.socket.2"
cat > "$etc/slurm.conf" <<CONF
ClusterName=mirage-selftest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$run/slurmctld
SlurmdSpoolDir=$run/slurmd
SlurmctldPidFile=$run/slurmctld.pid
SlurmdPidFile=$run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
# Seconds, not minutes: the test's jobs start as soon as they may.
SchedulerParameters=sched_interval=2
DependencyParameters=kill_invalid_depend
MessageTimeout=20
MinJobAge=300
# A failed dependency cancels its dependents at once (kill_invalid_depend) instead of leaving them pending.
NodeName=$host CPUs=$(nproc) RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$etc/slurm.conf"

pids=()
stop_daemons() {
  for pid in "${pids[@]:-}"; do [[ -n $pid ]] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:-}"; do [[ -n $pid ]] && { for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$pid" 2>/dev/null || true; }; done
}
trap stop_daemons EXIT

# 3. The daemons, in the foreground of their own processes so we know exactly which to stop.
runuser -u munge -- munged --foreground --socket="$socket" --key-file="$key" --pid-file="$run/munge/munged.pid" --seed-file="$run/munge/munge.seed" \
  --log-file="$work/log/munged.log" & pids+=($!)
for _ in $(seq 50); do [[ -S $socket ]] && break; sleep 0.1; done
[[ -S $socket ]] || fail "munged did not start (see $work/log/munged.log)"
slurmctld -D -f "$SLURM_CONF" > "$work/log/slurmctld.out" 2>&1 & pids+=($!)
sleep 1
slurmd -D -f "$SLURM_CONF" > "$work/log/slurmd.out" 2>&1 & pids+=($!)
for _ in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.5; done
sinfo -h -o %t | grep -q idle || fail "the node did not come up idle (see $work/log)"
say "one-node Slurm is up ($(sinfo -h -o '%P %D %t'), $(( $(date +%s) - start )) s)"

# 4. The study, locally and through Slurm.
mirage() { "$root/mirage" "$@"; }
mirage --help >/dev/null
study=(reproduce dyck --scale quick --seeds 2 --threads 2)
rm -rf "$work/local" "$work/slurm" "$work/broken"
t0=$(date +%s); mirage "${study[@]}" --out "$work/local" --quiet >/dev/null; say "local quick study: $(( $(date +%s) - t0 )) s"

wait_jobs() {   # waits until none of the given jobs is pending or running
  for _ in $(seq 1800); do
    [[ -z "$(squeue -h -j "$(IFS=,; echo "$*")" -o %i 2>/dev/null)" ]] && return 0
    sleep 1
  done
  fail "jobs $* did not finish in 30 minutes"
}
submit() {     # submits the study in $1 through Slurm; echoes its job ids
  mirage "${study[@]}" --out "$1" --plan slurm --submit | awk '/^submitted/ { print $NF }'
}
same() {       # every results and report file of two studies is byte-identical
  for d in results report; do
    for f in "$1/$d"/*; do cmp -s "$f" "$2/$d/$(basename "$f")" || fail "$2/$d/$(basename "$f") differs from $1's"; done
  done
}

t0=$(date +%s)
mapfile -t ids < <(submit "$work/slurm")
[[ ${#ids[@]} == 4 ]] || fail "expected 4 submitted jobs, got ${#ids[@]}"
wait_jobs "${ids[@]}"
[[ -f $work/slurm/report/report.html ]] || fail "the Slurm study has no report (logs in $work/slurm/slurm/logs)"
same "$work/local" "$work/slurm"
say "Slurm quick study: $(( $(date +%s) - t0 )) s, results and report byte-identical to the local run"

# 5. A failing task stops its dependents; a resubmission after the fix finishes the study.
mirage "${study[@]}" --out "$work/broken" --task data --quiet >/dev/null
echo '{"tokens": ["(0"]}' >> "$work/broken/data/train.jsonl"   # corrupt: the training tasks must refuse it
mapfile -t ids < <(submit "$work/broken")
wait_jobs "${ids[@]}"
grep -qs "sha256" "$work/broken/slurm/logs/"train-0-*.out || fail "the failed training left no clear message in its log"
[[ ! -e $work/broken/results ]] || fail "the report ran although the training failed"
say "a corrupt input stopped the training with: $(grep -h sha256 "$work/broken/slurm/logs/"train-0-*.out | head -1)"
rm -rf "$work/broken/data"                                        # the fix: the data task rebuilds it
mapfile -t ids < <(submit "$work/broken")
wait_jobs "${ids[@]}"
same "$work/local" "$work/broken"
say "after the fix, the resubmitted study finished, byte-identical to the local run"
say "passed in $(( $(date +%s) - start )) s"
