// Wanda compares weights within each output: 90 % of 4 inputs rounds to 4,
// which emptied every output (then SIGFPE in the lowering). One input per
// output stays, with a warning.
// RUN: prune-opt %s --nn-prune="criterion=wanda sparsity=0.9" -verify-diagnostics | FileCheck %s

// CHECK: zeros = 6,
func.func @narrow(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-warning@+1 {{nn-prune: weight 'w0': 90.0% of 4 inputs per output would remove every input; keeping 1 per output}}
  %w = arith.constant {nn.calib = {gram = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>}} dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
