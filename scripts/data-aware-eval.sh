#!/usr/bin/env bash
# MNIST accuracy of both models in ../shared/models after one-shot pruning
# with each criterion, calibrating in the compiler on the first 256 t10k
# images and scoring on the other 9,744; with calibration and pruning times.
# Usage: scripts/data-aware-eval.sh
set -euo pipefail
. "$(dirname "$0")/mnist-env.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
criteria=("magnitude" "obd" "wanda" "sparsegpt" "obs" "magnitude refit=lsq" "sparsegpt refit=lsq" "obs refit=lsq"
          "magnitude scope=adaptive" "sparsegpt scope=adaptive" "obs scope=adaptive" "sparsegpt refit=lsq scope=adaptive")
settings=("sparsity=0.5" "sparsity=0.7" "sparsity=0.8" "sparsity=0.9" "pattern=nm n=2 m=4")
now() { date +%s.%N; }
accuracy() { # model.mlir
  "$bin/prune-run" "$1" --images="$images" --labels="$labels" --preprocess="${pre[$m]}" \
    --first=256 | sed -n 's/^\[A\] accuracy: \([0-9.]*\).*/\1/p'
}
for m in heir_lenet iree_mnist_mlp_linalg; do
  t0=$(now)
  "$bin/prune-opt" "$models/$m.mlir" \
    "--nn-calibrate=images=$images preprocess=${pre[$m]} limit=256" -o "$tmp/cal.mlir"
  t1=$(now)
  echo "== $m: dense accuracy $(accuracy "$models/$m.mlir") on t10k[256:]; calibration (256 images) $(printf %.2f "$(echo "$t1 - $t0" | bc)") s"
  printf "%-36s" "criterion"
  for s in "${settings[@]}"; do printf " %-14s" "${s/pattern=nm n=2 m=4/2:4}"; done
  printf " %s\n" "prune-time(s, at 0.8)"
  for c in "${criteria[@]}"; do
    printf "%-36s" "$c"
    ptime=""
    for s in "${settings[@]}"; do
      if [[ "$c" == *adaptive* && "$s" == pattern=* ]]; then
        printf " %-14s" "n/a"
        continue
      fi
      t0=$(now)
      "$bin/prune-opt" "$tmp/cal.mlir" "--nn-prune=$s criterion=$c" -o "$tmp/p.mlir" 2>/dev/null
      t1=$(now)
      [ "$s" = "sparsity=0.8" ] && ptime=$(printf %.2f "$(echo "$t1 - $t0" | bc)")
      printf " %-14s" "$(accuracy "$tmp/p.mlir")"
    done
    printf " %s\n" "$ptime"
  done
done
