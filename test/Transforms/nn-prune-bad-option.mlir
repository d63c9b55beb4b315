// RUN: prune-opt %s --nn-prune=sparsity=1.5 -verify-diagnostics

// Option errors point at the module.
// expected-error@+1 {{nn-prune: option 'sparsity' must be in [0, 1), got 1.5}}
module {
  func.func @f(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
    %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
    return %y : tensor<1x2xf32>
  }
}
