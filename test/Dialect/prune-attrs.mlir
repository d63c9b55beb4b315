// The prune dialect's attributes print and parse back unchanged, with
// parameters at their defaults elided; nn-strip-annotations drops them.
// RUN: prune-opt %s | prune-opt | FileCheck %s
// RUN: prune-opt %s --nn-strip-annotations | FileCheck %s --check-prefix=STRIP

// CHECK-LABEL: func.func @decisions
// CHECK: prune.decision = #prune.decision<name = "fc1.weight", criterion = magnitude, pattern = unstructured, scope = layer, sparsity = 5.000000e-01, zeros = 2, elements = 4>
// CHECK: prune.decision = #prune.decision<name = "w", criterion = sparsegpt, pattern = nm, n = 2, m = 4, scope = global, refit = lsq, sparsity = 5.000000e-01, zeros = 8, elements = 16>
// CHECK: prune.decision = #prune.decision<name = "b", criterion = wanda, pattern = block, block_rows = 4, block_cols = 1, scope = adaptive, sparsity = 2.500000e-01, zeros = 4, elements = 16>
// STRIP-LABEL: func.func @decisions
// STRIP-NOT: prune.
func.func @decisions() -> (tensor<2x2xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %a = arith.constant {prune.decision = #prune.decision<name = "fc1.weight", criterion = magnitude, pattern = unstructured, scope = layer, sparsity = 0.5, zeros = 2, elements = 4>} dense<[[0.0, 1.0], [2.0, 0.0]]> : tensor<2x2xf32>
  %b = arith.constant {prune.decision = #prune.decision<name = "w", criterion = sparsegpt, pattern = nm, n = 2, m = 4, scope = global, refit = lsq, sparsity = 0.5, zeros = 8, elements = 16>} dense<0.0> : tensor<4x4xf32>
  %c = arith.constant {prune.decision = #prune.decision<name = "b", criterion = wanda, pattern = block, block_rows = 4, block_cols = 1, scope = adaptive, sparsity = 0.25, zeros = 4, elements = 16>} dense<0.0> : tensor<4x4xf32>
  return %a, %b, %c : tensor<2x2xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

// CHECK-LABEL: func.func @layouts
// CHECK: prune.layout = #prune.layout<format = dense>
// CHECK: prune.layout = #prune.layout<format = csr, regime = batched, batch = 32, index_bits = 8, bytes = 100, costs = {csr = 1.000000e+01 : f64, dense = 2.000000e+01 : f64}>
// CHECK: prune.layout = #prune.layout<format = bsr, block_rows = 4, block_cols = 1, index_bits = 16, bytes = 64>
// CHECK: prune.layout = #prune.layout<format = nm, n = 2, m = 4, index_bits = 2>
// A layout chosen for the GPU says so; target = cpu is the default.
// CHECK: prune.layout = #prune.layout<format = csr, target = gpu, batch = 32, index_bits = 16, bytes = 100, costs = {csr = 1.000000e+01 : f64, dense = 2.000000e+01 : f64}>
// CHECK: prune.layout = #prune.layout<format = csr>
// CHECK: prune.layout = #prune.layout<format = csr>
// value_type f32 is the default (not printed); others print after format.
// CHECK: prune.layout = #prune.layout<format = csr, value_type = i8, index_bits = 8>
// CHECK: prune.layout = #prune.layout<format = dense, value_type = bf16>
func.func @layouts() -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %a = arith.constant {prune.layout = #prune.layout<format = dense>} dense<0.0> : tensor<4x4xf32>
  %b = arith.constant {prune.layout = #prune.layout<format = csr, regime = batched, batch = 32, index_bits = 8, bytes = 100, costs = {csr = 10.0, dense = 20.0}>} dense<0.0> : tensor<4x4xf32>
  %c = arith.constant {prune.layout = #prune.layout<format = bsr, block_rows = 4, block_cols = 1, index_bits = 16, bytes = 64>} dense<0.0> : tensor<4x4xf32>
  %d = arith.constant {prune.layout = #prune.layout<format = "nm", n = 2, m = 4, index_bits = 2>} dense<0.0> : tensor<4x4xf32>
  %e = arith.constant {prune.layout = #prune.layout<format = csr, batch = 32, target = gpu, index_bits = 16, bytes = 100, costs = {csr = 10.0, dense = 20.0}>} dense<0.0> : tensor<4x4xf32>
  %f = arith.constant {prune.layout = #prune.layout<format = csr, target = cpu>} dense<0.0> : tensor<4x4xf32>
  %g = arith.constant {prune.layout = #prune.layout<format = csr, value_type = f32>} dense<0.0> : tensor<4x4xf32>
  %h = arith.constant {prune.layout = #prune.layout<index_bits = 8, value_type = i8, format = csr>} dense<0.0> : tensor<4x4xf32>
  %i = arith.constant {prune.layout = #prune.layout<format = dense, value_type = "bf16">} dense<0.0> : tensor<4x4xf32>
  return %a, %b, %c, %d : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

// #prune.gpu_call (nn-lower-kernels{target=gpu} -> nn-lower-gpu-calls): its
// integer lists are bracketed, so array_bytes followed by scalars reads back.
// CHECK-LABEL: func.func private @gpu_bsr
// CHECK-SAME: prune.gpu_call = #prune.gpu_call<layout = "bsr8", rows = 8, cols = 4, batch = 1, flags = 3, bias = true, array_bytes = [12, 2, 32], scalars = [4, 1]>
// CHECK-LABEL: func.func private @gpu_dense
// CHECK-SAME: prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 4, cols = 3, batch = 2, array_bytes = [48]>
func.func private @gpu_bsr(memref<?x?xf32>, memref<?x?xf32>, memref<?xi32>, memref<?xi8>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "bsr8", rows = 8, cols = 4, batch = 1, flags = 3, bias = true, array_bytes = [12, 2, 32], scalars = [4, 1]>}
func.func private @gpu_dense(memref<?x?xf32>, memref<?x?xf32>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 4, cols = 3, batch = 2, array_bytes = [48]>}
