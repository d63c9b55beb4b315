#!/usr/bin/env bash
# Regenerates the docs generated from TableGen: docs/Passes.md (the pass
# declarations) and docs/PruneDialect.md (the IR contract, the prune
# dialect's attributes). test/Docs fails when either is stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tblgen=/usr/lib/llvm-22/bin/mlir-tblgen
inc=(-I /usr/lib/llvm-22/include -I "$root/include")
"$tblgen" -gen-pass-doc "${inc[@]}" \
  "$root/include/prune-opt/Transforms/Passes.td" > "$root/docs/Passes.md"
"$tblgen" -gen-dialect-doc -dialect=prune "${inc[@]}" \
  "$root/include/prune-opt/Dialect/Prune/PruneAttrs.td" \
  > "$root/docs/PruneDialect.md"
