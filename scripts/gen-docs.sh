#!/usr/bin/env bash
# Regenerates docs/Passes.md from the TableGen pass declarations
# (test/Docs/passes-doc.test fails when it is stale).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
/usr/lib/llvm-22/bin/mlir-tblgen -gen-pass-doc -I /usr/lib/llvm-22/include \
  "$root/include/prune-opt/Transforms/Passes.td" > "$root/docs/Passes.md"
