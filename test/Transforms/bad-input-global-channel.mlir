// pattern=channel scope=global could remove every output of a layer (the
// model then outputs a constant): the strongest output of each layer stays.
// 5 outputs, 75 %: the two weak outputs of w0 and two of w1 go; w0 keeps
// its stronger output, with a warning.
// RUN: prune-opt %s --nn-prune="pattern=channel scope=global sparsity=0.75" -verify-diagnostics | FileCheck %s

// CHECK: arith.constant {prune.decision = #prune.decision<{{.*}}zeros = 4, elements = {{[0-9]+}}>} dense_resource<w0_pruned>
// CHECK: arith.constant {prune.decision = #prune.decision<{{.*}}zeros = 4, elements = {{[0-9]+}}>} dense_resource<w1_pruned>
func.func @two_layers(%x: tensor<1x4xf32>, %i1: tensor<1x2xf32>, %i2: tensor<1x3xf32>) -> tensor<1x3xf32> {
  // expected-warning@+1 {{nn-prune: weight 'w0': the selection would remove all 2 outputs; keeping the strongest one}}
  %w0 = arith.constant dense<[[0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]]> : tensor<4x2xf32>
  %w1 = arith.constant dense<[[9.0, 8.0, 7.0], [9.0, 8.0, 7.0]]> : tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w0 : tensor<1x4xf32>, tensor<4x2xf32>) outs(%i1 : tensor<1x2xf32>) -> tensor<1x2xf32>
  %z = linalg.matmul ins(%y, %w1 : tensor<1x2xf32>, tensor<2x3xf32>) outs(%i2 : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %z : tensor<1x3xf32>
}
