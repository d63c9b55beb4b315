// Passes that find nothing to do say so (a warning on the module) instead of
// exiting 0 silently.
// RUN: prune-opt %s --nn-sparsify -o /dev/null 2>&1 | FileCheck %s --check-prefix=SPARSIFY
// RUN: prune-opt %s --nn-prune=sparsity=0.5 --nn-shrink-channels -o /dev/null 2>&1 | FileCheck %s --check-prefix=SHRINK
// RUN: prune-opt %s --nn-prune="pattern=channel sparsity=0.5" --nn-shrink-channels -o /dev/null 2>&1 | FileCheck %s --check-prefix=QUIET --allow-empty
// SPARSIFY: warning: nn-sparsify: nothing to do: no weight carries a pruning decision (run --nn-prune first)
// SHRINK: warning: nn-shrink-channels: nothing to do: no weight was pruned with pattern=channel
// QUIET-NOT: nothing to do

func.func @f(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
