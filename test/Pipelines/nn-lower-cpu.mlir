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

// `vl` is the vector length of the loops upstream's sparsifier emits for
// sparse operands (here kernels=0, so the CSR weight is the sparsifier's):
// 8 by default, 4 when asked, scalar code for 0.
// RUN: prune-opt %s --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu=kernels=0 \
// RUN:   | FileCheck %s --check-prefix=VL8 --implicit-check-not="vector<4xf32>"
// RUN: prune-opt %s --nn-prune=sparsity=0.5 --nn-sparsify=format=csr "--nn-lower-cpu=kernels=0 vl=4" \
// RUN:   | FileCheck %s --check-prefix=VL4 --implicit-check-not="vector<8xf32>"
// RUN: prune-opt %s --nn-prune=sparsity=0.5 --nn-sparsify=format=csr "--nn-lower-cpu=kernels=0 vl=0" \
// RUN:   | FileCheck %s --check-prefix=VL0 --implicit-check-not="vector<"
// VL8: llvm.func @linear(
// VL8: vector<8xf32>
// VL8: llvm.func @_mlir_ciface_linear(
// VL4: llvm.func @linear(
// VL4: vector<4xf32>
// VL4: llvm.func @_mlir_ciface_linear(
// VL0: llvm.func @linear(
// VL0: llvm.fmul {{.*}} : f32
// VL0: llvm.func @_mlir_ciface_linear(
func.func @linear(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  %z = call @helper(%y) : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %z : tensor<1x2xf32>
}
func.func private @helper(%y: tensor<1x2xf32>) -> tensor<1x2xf32> {
  return %y : tensor<1x2xf32>
}
