// Selecting weights by name, id, location or consumer. One module (no
// -split-input-file): a selection that names no weight of the module is an
// error, not a silent no-op.
// RUN: prune-opt %s --nn-prune="sparsity=0.5 exclude=linalg.matvec layer-sparsity=first:0.25" | FileCheck %s --check-prefix=SELECT
// RUN: prune-opt %s --nn-prune="sparsity=0.5 only=w3" | FileCheck %s --check-prefix=ONLY
// RUN: not prune-opt %s --nn-prune="sparsity=0.5 only=fc9" 2>&1 | FileCheck %s --check-prefix=NOONLY
// RUN: not prune-opt %s --nn-prune="sparsity=0.5 layer-sparsity=fc9:0.9" 2>&1 | FileCheck %s --check-prefix=NOLAYER
// RUN: prune-opt %s --nn-prune="sparsity=0.5 min-elements=100" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE

// SELECT-LABEL: func.func @two_layers
// SELECT: prune.decision = #prune.decision<{{.*}}sparsity = 2.500000e-01, zeros = 1, elements = {{[0-9]+}}>} dense_resource<first_pruned>
// SELECT: arith.constant dense<{{\[}}[1.000000e+01], [2.000000e+01]]>
// ONLY-LABEL: func.func @two_layers
// ONLY-NOT: prune.decision
// ONLY-LABEL: func.func @only
// ONLY: arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00]]>
// ONLY: prune.decision = #prune.decision<{{.*}}name = "w3"{{.*}}zeros = 1,
// NOONLY: error: nn-prune: only=fc9 names no weight (weights: w0 'first', w1 'second', w2 'w2', w3 'w3')
// NOLAYER: error: nn-prune: layer-sparsity=fc9:9.000000e-01 matches no weight (weights: w0 'first', w1 'second', w2 'w2', w3 'w3')
// NONE: warning: nn-prune: nothing pruned: every one of the 4 weights was skipped

func.func @two_layers(%x: tensor<4xf32>, %init: tensor<1xf32>, %init2: tensor<2xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[0.1], [0.2], [0.3], [0.4]]> : tensor<4x1xf32> loc("first")
  %w2 = arith.constant dense<[[10.0], [20.0]]> : tensor<2x1xf32> loc("second")
  %y = linalg.vecmat ins(%x, %w : tensor<4xf32>, tensor<4x1xf32>) outs(%init : tensor<1xf32>) -> tensor<1xf32>
  %z = linalg.matvec ins(%w2, %y : tensor<2x1xf32>, tensor<1xf32>) outs(%init2 : tensor<2xf32>) -> tensor<2xf32>
  return %z : tensor<2xf32>
}

func.func @only(%x: tensor<1x1xf32>, %i1: tensor<1x2xf32>, %i2: tensor<1x1xf32>) -> tensor<1x1xf32> {
  %w0 = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %w1 = arith.constant dense<[[3.0], [4.0]]> : tensor<2x1xf32>
  %y = linalg.matmul ins(%x, %w0 : tensor<1x1xf32>, tensor<1x2xf32>) outs(%i1 : tensor<1x2xf32>) -> tensor<1x2xf32>
  %z = linalg.matmul ins(%y, %w1 : tensor<1x2xf32>, tensor<2x1xf32>) outs(%i2 : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %z : tensor<1x1xf32>
}
