// nn-sparsify{target=gpu}: format=auto chooses among the formats with GPU
// kernels (dense, csr, bsr, nm; never bitmask, never the batched regime) by
// the GPU cost model of lib/Layout (GpuCostModel.cpp, docs/Design.md "GPU
// cost model"), with the same objective and margin as on the CPU, and the
// layout records `target = gpu` and the GPU costs (ns per call). The
// constants are public chip specifications and estimates, not measured.
// Weights are splats pruned at random (a fixed seed: exact costs).
//
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-prune=sparsity=0.9 criterion=random" --nn-sparsify=target=gpu \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-prune=sparsity=0.9 criterion=random" "--nn-sparsify=target=gpu objective=latency" \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=LATENCY
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-prune=sparsity=0.9 criterion=random" "--nn-sparsify=target=gpu gpu-chip=sm_80" \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=A100
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-prune=sparsity=0.9 criterion=random" "--nn-sparsify=target=gpu gpu-bandwidth-gbs=4800" \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=H200
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-prune=sparsity=0.99 criterion=random" --nn-sparsify=target=gpu \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=S99
// (No -verify-diagnostics: nn-prune warns that @tiny's groups round.)
// RUN: prune-opt %s -split-input-file "--nn-prune=pattern=nm n=2 m=4 criterion=random" --nn-sparsify=target=gpu \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=NM
// RUN: prune-opt %s -split-input-file "--nn-prune=pattern=block block=4x1 sparsity=0.9 criterion=random" --nn-sparsify=target=gpu \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=BSR

// 4096 outputs x 2048 inputs at batch 1 (32 MiB, streamed from HBM: more
// than half of L2): one warp per row, dense bandwidth-bound. At 90 % csr
// reads 5 MB instead of 32 MiB and is bound by the latency of its longest
// rows' walks: predicted 2.4x faster on an H100 (6.7 us vs 15.8 us, of
// which 4 us is the launch), 3.4x on an A100; an H200's bandwidth (sm_90
// with gpu-bandwidth-gbs=4800) speeds up dense only. 2:4 (nm) reads half
// the values and 2-bit codes; 4x1 blocks (bsr) one column index per block.
// CHECK-LABEL: func.func @large
// CHECK: sparse_tensor.assemble {{.*}}prune.layout = #prune.layout<format = csr, target = gpu, index_bits = 16, bytes = 5049554, costs = {csr = 6.650000e+03 : f64, dense = 1.578400e+04 : f64}>
// LATENCY-LABEL: func.func @large
// LATENCY: prune.layout = #prune.layout<format = csr, target = gpu
// A100-LABEL: func.func @large
// A100: prune.layout = #prune.layout<format = csr, target = gpu, {{.*}}costs = {csr = 6.914000e+03 : f64, dense = 2.336000e+04 : f64}>
// H200-LABEL: func.func @large
// H200: prune.layout = #prune.layout<format = csr, target = gpu, {{.*}}costs = {csr = 6.650000e+03 : f64, dense = 1.222400e+04 : f64}>
// NM-LABEL: func.func @large
// NM: prune.layout = #prune.layout<format = nm, target = gpu, n = 2, m = 4, index_bits = 2, bytes = 17825792, costs = {csr = 1.284400e+04 : f64, dense = 1.578400e+04 : f64, nm = 1.026000e+04 : f64}>
// BSR-LABEL: func.func @large
// BSR: prune.layout = #prune.layout<format = bsr, target = gpu, block_rows = 4, block_cols = 1, index_bits = 16, bytes = 3778970, costs = {bsr = 6.650000e+03 : f64, csr = 6.650000e+03 : f64, dense = 1.578400e+04 : f64}>
func.func @large(%x: tensor<1x2048xf32>, %init: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  %w = arith.constant dense<1.0> : tensor<2048x4096xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2048xf32>, tensor<2048x4096xf32>) outs(%init : tensor<1x4096xf32>) -> tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

// A tiny layer (10 outputs x 64 inputs, resident in L2 between calls): one
// launch (4 us) and a few dependent loads whatever the format; bytes do not
// matter. No sparse format is 10 % faster (latency: dense). csr adds one
// round trip to L2 (4.8 us vs 4.5 us), which is within the margin: size
// stores it smaller (364 B instead of 2560 B); with margin=0 it is dense.
// CHECK-LABEL: func.func @tiny
// CHECK: prune.layout = #prune.layout<format = csr, target = gpu, index_bits = 8, bytes = 364, costs = {csr = 4.813000e+03 : f64, dense = 4.500000e+03 : f64}>
// LATENCY-LABEL: func.func @tiny
// LATENCY: arith.constant {prune.decision = {{.*}}, prune.layout = #prune.layout<format = dense, target = gpu, bytes = 2560, costs = {csr = 4.813000e+03 : f64, dense = 4.500000e+03 : f64}>}
// LATENCY-NOT: sparse_tensor.assemble
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-prune=sparsity=0.9 criterion=random" "--nn-sparsify=target=gpu margin=0" \
// RUN:   --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=MARGIN0
// MARGIN0-LABEL: func.func @tiny
// MARGIN0: prune.layout = #prune.layout<format = dense, target = gpu
func.func @tiny(%x: tensor<1x64xf32>, %init: tensor<1x10xf32>) -> tensor<1x10xf32> {
  %w = arith.constant dense<1.0> : tensor<64x10xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x64xf32>, tensor<64x10xf32>) outs(%init : tensor<1x10xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

// Batch 32: dense is cuBLAS sgemm (W read once, 0.54 GFLOP at 70 % of FP32
// peak; compute-bound on an A100); sparse is transpose_x + tile_rows, 128
// blocks of 8 warps, each walking 4 rows' entries one dependent gather at a
// time: latency-bound, 4x slower than dense at 90 %. At 99 % csr is within
// the margin of dense (16.8 us vs 15.9 us) and 65x smaller: size takes it,
// as csr as it is (no csr-tiled on the GPU).
// CHECK-LABEL: func.func @batch32
// CHECK: prune.layout = #prune.layout<format = dense, target = gpu, batch = 32, bytes = 33554432, costs = {csr = 6.576300e+04 : f64, dense = 1.589600e+04 : f64}>
// A100-LABEL: func.func @batch32
// A100: prune.layout = #prune.layout<format = dense, target = gpu, {{.*}}costs = {csr = 6.576300e+04 : f64, dense = 4.334800e+04 : f64}>
// S99-LABEL: func.func @batch32
// S99: sparse_tensor.assemble {{.*}}prune.layout = #prune.layout<format = csr, target = gpu, batch = 32, index_bits = 16, bytes = 519704, costs = {csr = 1.676300e+04 : f64, dense = 1.589600e+04 : f64}>
// NM-LABEL: func.func @batch32
// NM: prune.layout = #prune.layout<format = dense, target = gpu
func.func @batch32(%x: tensor<32x2048xf32>, %init: tensor<32x4096xf32>) -> tensor<32x4096xf32> {
  %w = arith.constant dense<1.0> : tensor<2048x4096xf32>
  %y = linalg.matmul ins(%x, %w : tensor<32x2048xf32>, tensor<2048x4096xf32>) outs(%init : tensor<32x4096xf32>) -> tensor<32x4096xf32>
  return %y : tensor<32x4096xf32>
}

// -----

// A weight the GPU kernels do not run as a fully connected layer (one
// matrix per batch element): auto keeps it dense, with a remark.
// CHECK-LABEL: func.func @bmm
// CHECK: arith.constant {prune.decision = {{.*}}, prune.layout = #prune.layout<format = dense, target = gpu>}
// CHECK-NOT: sparse_tensor.assemble
func.func @bmm(%x: tensor<2x1x32xf32>, %init: tensor<2x1x4xf32>) -> tensor<2x1x4xf32> {
  // expected-remark@+1 {{nn-sparsify: weight 'w0' kept dense: with target=gpu, format=auto decides only weights whose every use is a fully connected layer or a 2-D convolution (the GPU kernels' shape)}}
  %w = arith.constant dense<1.0> : tensor<2x32x4xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x1x32xf32>, tensor<2x32x4xf32>) outs(%init : tensor<2x1x4xf32>) -> tensor<2x1x4xf32>
  return %y : tensor<2x1x4xf32>
}
