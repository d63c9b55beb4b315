// RUN: prune-opt %s --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu | FileCheck %s
// RUN: prune-opt %s --nn-lower-cpu=vl=8 | FileCheck %s --check-prefix=VL

// Public functions get C interface wrappers; private ones do not; nothing of
// sparse_tensor or tensors is left.
// CHECK: llvm.func @linear(
// CHECK: llvm.func @_mlir_ciface_linear(
// CHECK-NOT: llvm.func @_mlir_ciface_helper
// CHECK-NOT: sparse_tensor.
// CHECK-NOT: tensor<
// VL: llvm.func @_mlir_ciface_linear(
func.func @linear(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  %z = call @helper(%y) : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %z : tensor<1x2xf32>
}
func.func private @helper(%y: tensor<1x2xf32>) -> tensor<1x2xf32> {
  return %y : tensor<1x2xf32>
}
