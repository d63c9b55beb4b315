// RUN: prune-opt %s "--nn-calibrate=entry=f inputs=%S/../Integration/Inputs/x2.npy" -verify-diagnostics | FileCheck %s

// A weight used inside a called function gets no statistics (run --inline
// first); the others still do.
// CHECK: arith.constant {nn.calib = {act_entropy = {{.*}}, gram = dense_resource<{{.*}}> : tensor<4x4xf64>, rows = 2 : i64, samples = 2 : i64}}
func.func private @g(%x: tensor<1x4xf32>, %w: tensor<4x3xf32>) -> tensor<1x3xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x3xf32>) outs(%i : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
func.func @f(%x: tensor<1x4xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>) {
  %z = arith.constant 0.0 : f32
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  // expected-remark@+1 {{nn-calibrate: no statistics for weight 'w0': its consumer is not in the entry function's body}}
  %v = arith.constant dense<2.0> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<1x3xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x3xf32>) outs(%i : tensor<1x3xf32>) -> tensor<1x3xf32>
  %u = func.call @g(%x, %v) : (tensor<1x4xf32>, tensor<4x3xf32>) -> tensor<1x3xf32>
  return %y, %u : tensor<1x3xf32>, tensor<1x3xf32>
}
