#!/usr/bin/env bash
# The scale table of issue 15 (docs/Design.md, "Known limits"): time and peak
# RSS of prune-opt on synthetic transformers (scripts/gen-transformer.py) of
# growing size, text and MLIR bytecode in, bytecode out, and with the
# weights in a safetensors file (external: prune.weight_files), so that the
# growth is visible. Not a test: it prints a markdown table.
#
# Usage: scripts/scale-table.sh [SIZES]   (default "10M 100M"; "10M 100M 1B"
#        for the full table: 1B needs ~25 GB of disk (text, bytecode and
#        safetensors), ~12 GB of memory once to convert the generated text to
#        bytecode, and ~15 minutes)
# Environment: BUILD (default ./build), WORK (scratch dir, default
#        build/scale), SPARSITY (default 0.9).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$root/build}"
work="${WORK:-$build/scale}"
sparsity="${SPARSITY:-0.9}"
sizes=(${1:-10M 100M})
opt="$build/bin/prune-opt"
if [ ! -x "$opt" ]; then
  echo "scale-table.sh: build the project first (scripts/build.sh)" >&2
  exit 2
fi
mkdir -p "$work"

# run LABEL ARGS...: prints "| LABEL | seconds | peak RSS MiB | x weights |".
run() {
  local label="$1"
  shift
  /usr/bin/python3 "$root/scripts/peak-rss.py" "$@" > /dev/null 2> "$work/time.txt" || {
    cat "$work/time.txt" >&2
    return 1
  }
  local mib secs
  read -r mib secs < <(sed -nE 's/^peak-rss: ([0-9]+) MiB, ([0-9.]+) s$/\1 \2/p' "$work/time.txt")
  awk -v l="$label" -v s="$secs" -v m="$mib" -v w="$weights" \
    'BEGIN { printf "| %s | %.2f | %.0f | %.2fx |\n", l, s, m, m * 1048576 / w }'
}

echo "| command | seconds | peak RSS (MiB) | RSS / weight bytes |"
echo "|---|---|---|---|"
for size in "${sizes[@]}"; do
  text="$work/transformer-$size.mlir" bc="$work/transformer-$size.mlirbc"
  if [ ! -f "$bc" ]; then
    /usr/bin/python3 "$root/scripts/gen-transformer.py" --params="$size" -o "$text" >&2
    "$opt" "$text" --emit-bytecode -o "$bc"
  fi
  [ -f "$text" ] || "$opt" "$bc" -o "$text"
  params=$(head -1 "$text" | sed -E 's/.* ([0-9]+) parameters.*/\1/')
  weights=$((params * 4))
  echo "| **$size** ($params parameters, $((weights / 1048576)) MiB) | | | |"
  run "parse + print, text" "$opt" "$text" -o "$work/out.mlir"
  run "parse + print, bytecode" "$opt" "$bc" --emit-bytecode -o "$work/out.mlirbc"
  run "nn-prune, bytecode" "$opt" "$bc" --nn-prune=sparsity="$sparsity" --emit-bytecode -o "$work/out.mlirbc"
  run "nn-prune scope=global, bytecode" "$opt" "$bc" "--nn-prune=sparsity=$sparsity scope=global" --emit-bytecode -o "$work/out.mlirbc"
  run "prune + sparsify, bytecode" "$opt" "$bc" --nn-prune=sparsity="$sparsity" --nn-sparsify --emit-bytecode -o "$work/out.mlirbc"
  run "prune + sparsify + lower-cpu, bytecode" "$opt" "$bc" --nn-prune=sparsity="$sparsity" --nn-sparsify --nn-lower-cpu --emit-bytecode -o "$work/out.mlirbc"
  # The same weights in a safetensors file (the IR names it).
  ext="$work/transformer-$size.ext.mlir" st="$work/transformer-$size.safetensors"
  if [ ! -f "$st" ]; then
    /usr/bin/python3 "$root/scripts/gen-transformer.py" --params="$size" --weights="$st" -o "$ext" >&2
  fi
  # (Files the passes create are named after the weight file; each run's
  # are removed after it.)
  scratch="$work/transformer-$size.nn-*"
  run "nn-prune, external" "$opt" "$ext" --nn-prune=sparsity="$sparsity" -o "$work/out.mlir"
  rm -f $scratch
  run "nn-prune scope=global, external" "$opt" "$ext" "--nn-prune=sparsity=$sparsity scope=global" -o "$work/out.mlir"
  rm -f $scratch
  run "prune + sparsify + store, external" "$opt" "$ext" --nn-prune=sparsity="$sparsity" --nn-sparsify --nn-store-weights=file="$work/out.safetensors" -o "$work/out.mlir"
  rm -f $scratch
  run "prune + sparsify + lower-cpu, external" "$opt" "$ext" --nn-prune=sparsity="$sparsity" --nn-sparsify --nn-lower-cpu -o "$work/out.mlir"
  rm -f $scratch "$work/out.safetensors"
  rm -f "$work/out.mlir" "$work/out.mlirbc"
done
