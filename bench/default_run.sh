#!/usr/bin/env bash
# Checks that the main job, `fer train` with no arguments, still learns the built-in data: runs it,
# re-evaluates its best checkpoint with `fer eval`, and fails unless the mean class accuracy clears
# a floor well above chance (1/7 = 14.3%) and `fer eval` reproduces the run's own final evaluation.
#
# Too slow for the test suite (about 4 minutes on 2 cores), so it lives here with the benchmarks.
# Usage, from the repository root after `swift build -c release`:
#   bash bench/default_run.sh [MIN_MEAN_CLASS_ACCURACY (default 0.30)]
set -euo pipefail

floor="${1:-0.30}"
fer=".build/release/fer"
[ -x "$fer" ] || { echo "default_run.sh: $fer not found; run 'swift build -c release' first" >&2; exit 2; }

run="$(mktemp -d)/run"
start=$(date +%s)
"$fer" train --out "$run"
seconds=$(( $(date +%s) - start ))

field() { grep -o "\"$1\":[0-9.eE+-]*" | head -1 | cut -d: -f2; }
final_line="$(tail -n 1 "$run/eval.jsonl")"
final=$(printf '%s' "$final_line" | field mean_class_accuracy)
best=$(grep -o '"mean_class_accuracy":[0-9.eE+-]*' "$run/eval.jsonl" | cut -d: -f2 | sort -g | tail -1)
reproduced=$("$fer" eval --checkpoint "$run/best.safetensors" --json | field mean_class_accuracy)

echo "default run: ${seconds}s, final mean class accuracy $final, best $best, fer eval on best.safetensors $reproduced (floor $floor)"
awk -v b="$best" -v r="$reproduced" -v f="$floor" 'BEGIN {
    if (b + 0 < f + 0) { print "FAIL: best mean class accuracy " b " is below " f; exit 1 }
    d = b - r; if (d < 0) d = -d
    if (d > 1e-6) { print "FAIL: fer eval gives " r ", the run logged " b; exit 1 }
    print "OK"
}'
