#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine (munge, slurmctld and slurmd in a temporary
# folder), runs docs/slurm-array.sh over 4 tasks on 40 fields of a sample survey, and checks
# that the merged reports hold every field exactly once. Needs root, slurm-wlm and munge.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
hipscut="$repo/target/release/hipscut"
work="$(mktemp -d)"
host="$(hostname -s)"
cleanup() {
    local status=$?
    local pids=""
    for f in "$work/slurmd.pid" "$work/slurmctld.pid"; do
        [ -f "$f" ] && pids="$pids $(cat "$f")"
    done
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    # slurmctld saves its state as it stops: wait for the daemons to be gone before removing
    # their folder (else the removal races the last writes and fails).
    for _ in $(seq 50); do
        alive=""
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ -z "$alive" ] && break
        sleep 0.2
    done
    rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work" || true; }
    exit "$status"
}
trap cleanup EXIT

# munge: the key the package made, its folders owned by its user.
mkdir -p /run/munge
chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
pgrep -x munged >/dev/null || su -s /bin/sh munge -c munged

mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=hipscut-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF"
sleep 2
slurmd -f "$SLURM_CONF"
for _ in $(seq 30); do sinfo -h -o %T | grep -q idle && break; sleep 1; done

# 40 fields around the Galactic Centre, from the FermiColor sample tiles.
echo "name,ra,dec" > "$work/fields.csv"
for k in $(seq 0 39); do
    echo "f$k,$((262 + k % 8)).5,$((-32 + k / 8)).5" >> "$work/fields.csv"
done
export HIPSCUT="$hipscut" FIELDS="$work/fields.csv" OUT="$work/out" CACHE="$work/cache"
export SURVEY="$repo/tests/data/FermiColor" FOV=1 WIDTH=64
sbatch --export=ALL --cpus-per-task=1 --output="$work/task-%a.out" --wait "$repo/docs/slurm-array.sh"

"$hipscut" batch --merge-reports "$OUT"/shard-* --out-dir "$OUT"
lines=$(wc -l < "$OUT/batch-report.jsonl")
ok=$(grep -c '"status":"ok"' "$OUT/batch-report.jsonl")
names=$(grep -o '"name":"[^"]*"' "$OUT/batch-report.jsonl" | sort -u | wc -l)
echo "slurm: $lines report lines, $ok ok, $names distinct fields over $(ls -d "$OUT"/shard-* | wc -l) tasks"
[ "$lines" = 40 ] && [ "$ok" = 40 ] && [ "$names" = 40 ]
