// RUN: prune-opt %s --nn-lower-cpu | FileCheck %s
// RUN: prune-opt %s --nn-lower-cpu | mlir-translate --mlir-to-llvmir \
// RUN:   | opt -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=x86-64-v3 -S \
// RUN:   | FileCheck %s --check-prefix=OPT

// Buffers come from aligned_alloc, whose result LLVM knows aliases nothing.
// Upstream's default lowering of an aligned memref.alloc is malloc plus
// ptrtoint/add/and/inttoptr, which loses the pointer's provenance: LLVM
// then cannot tell a new buffer from the function's arguments, and every
// short copy or elementwise loop around the kernels (im2col patches,
// pooling, ReLU) stayed scalar, one load and one store per element
// (LeNet: ~2 us of its ~20 us, measured with prune-run --bench).
// CHECK-LABEL: llvm.func @patches(
// CHECK: llvm.call @aligned_alloc(
// CHECK-NOT: llvm.call @malloc(
// CHECK-NOT: llvm.inttoptr
// CHECK: llvm.return

// The 28 rows of 28 floats are block copies, not 784 scalar loads.
// OPT-LABEL: define {{.*}} @patches(
// OPT-NOT: load float
// OPT: llvm.memcpy
// OPT-NOT: load float
// OPT: ret
func.func @patches(%x: tensor<1x1x32x32xf32>) -> tensor<1x1x28x28xf32> {
  %s = tensor.extract_slice %x[0, 0, 2, 2] [1, 1, 28, 28] [1, 1, 1, 1]
      : tensor<1x1x32x32xf32> to tensor<1x1x28x28xf32>
  %e = tensor.empty() : tensor<1x1x28x28xf32>
  %c = linalg.copy ins(%s : tensor<1x1x28x28xf32>)
                   outs(%e : tensor<1x1x28x28xf32>) -> tensor<1x1x28x28xf32>
  return %c : tensor<1x1x28x28xf32>
}
