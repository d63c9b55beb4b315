// Bad option values: a diagnostic and a non-zero exit, no output file.
// RUN: not prune-opt %s --nn-prune=sparsity=1.5 -o %t.out 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not test -e %t.out
// RUN: not prune-opt %s --nn-prune=sparsity=-0.1 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not prune-opt %s --nn-prune=criterion=foo 2>&1 | FileCheck %s --check-prefix=CRITERION
// RUN: not prune-opt %s --nn-prune=layer-sparsity=w0 2>&1 | FileCheck %s --check-prefix=OVERRIDE
// RUN: not prune-opt %s --nn-prune=layer-sparsity=w0:2 2>&1 | FileCheck %s --check-prefix=OVERRIDE
// RUN: not prune-opt %s --nn-sparsify=index-width=12 2>&1 | FileCheck %s --check-prefix=WIDTH

// RANGE: error: nn-prune: option 'sparsity' must be in [0, 1)
// CRITERION: Cannot find option named 'foo'
// OVERRIDE: error: nn-prune: bad layer-sparsity entry
// WIDTH: error: nn-sparsify: option 'index-width' must be one of 0, 8, 16, 32, 64, got 12

func.func @f(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
