#!/bin/bash
# hipscut batch as a Slurm job array: each task renders its shard (SLURM_ARRAY_TASK_ID of
# SLURM_ARRAY_TASK_COUNT) into a folder of its own, over one shared cache. Then
#   hipscut batch --merge-reports "$OUT"/shard-* --out-dir "$OUT"
# joins their reports. Set FIELDS, OUT, CACHE and SURVEY (sbatch passes the environment on).
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --job-name=hipscut
set -euo pipefail
"${HIPSCUT:-hipscut}" batch "$FIELDS" --out-dir "$OUT/shard-$SLURM_ARRAY_TASK_ID" \
    --cache-dir "$CACHE" --set survey="$SURVEY" --set fov="${FOV:-0.5}" \
    --set width="${WIDTH:-256}" -q
