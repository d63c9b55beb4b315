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

// Intermediates that do not leave the function are on the stack
// (nn-stack-buffers, before the deallocation pipeline), so no free either;
// stack-buffer-bytes=0 keeps them on the heap.
// RUN: prune-opt %s --nn-lower-cpu="stack-buffer-bytes=0" \
// RUN:   | FileCheck %s --check-prefix=HEAP
// CHECK-LABEL: llvm.func @relu_twice(
// CHECK: llvm.alloca %{{.*}} x f32 {alignment = 64 : i64}
// CHECK-COUNT-1: llvm.call @aligned_alloc(
// CHECK-NOT: llvm.call @aligned_alloc(
// CHECK-NOT: llvm.call @free(
// CHECK: llvm.return
// HEAP-LABEL: llvm.func @relu_twice(
// HEAP-COUNT-2: llvm.call @aligned_alloc(
// HEAP: llvm.call @free(
func.func @relu_twice(%x: tensor<64xf32>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<64xf32>) outs(%e : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %e2 = tensor.empty() : tensor<64xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%r : tensor<64xf32>) outs(%e2 : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.addf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  return %s : tensor<64xf32>
}
