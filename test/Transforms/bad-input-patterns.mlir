// A block larger than the weight once zeroed 100 % of it: one block covers
// the weight, and it is kept, with a warning.
// RUN: prune-opt %s --nn-prune="pattern=block block=100000x100000 sparsity=0.5" -verify-diagnostics | FileCheck %s

// CHECK: zeros = 0,
func.func @big_block(%x: tensor<1x4xf32>, %i1: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-warning@+1 {{nn-prune: weight 'w0': the selection would remove all 1 blocks; keeping the strongest one}}
  %w0 = arith.constant dense<[[0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w0 : tensor<1x4xf32>, tensor<4x2xf32>) outs(%i1 : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
