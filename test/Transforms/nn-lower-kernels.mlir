// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-lower-kernels | FileCheck %s
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-lower-kernels=dense=false" | FileCheck %s --check-prefix=NODENSE
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-lower-kernels=csr-tiled-batch=0" | FileCheck %s --check-prefix=ROWS
// RUN: prune-opt %s -split-input-file -verify-diagnostics "--nn-lower-kernels=dense-block-diagonal=true" | FileCheck %s --check-prefix=BLOCK

// A torch-style linear layer (x [B, in] times a constant W^T [in, out]),
// zero-initialized: the dense panel kernel writes a fresh buffer.
// CHECK-LABEL: func.func private @prune_mr_dense(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32>, i32, memref<?xf32>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @linear
// CHECK: %[[XB:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<2x3xf32> to memref<2x3xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x4xf32>
// CHECK-NOT: memref.copy
// CHECK: arith.constant dense_resource<{{.*}}> : tensor<12xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: %[[NOBIAS:.*]] = memref.alloca() : memref<0xf32>
// CHECK: %[[NB:.*]] = memref.cast %[[NOBIAS]] : memref<0xf32> to memref<?xf32>
// CHECK: call @prune_mr_dense(%{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]], %[[NB]]) {nn.kernel = "dense", nn.kernel_bytes = 48 : i64}
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<2x4xf32> to tensor<2x4xf32>
// CHECK: return %[[R]]
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.fill
// NODENSE-LABEL: func.func @linear
// NODENSE: linalg.matmul
func.func @linear(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// matvec accumulating into a given vector: viewed as [1, in] and [1, out],
// the init copied into the result buffer, accumulate = 1.
// CHECK-LABEL: func.func @matvec
// CHECK: %[[X2:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [1, 2] : tensor<2xf32> into tensor<1x2xf32>
// CHECK: %[[I2:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [1, 2] : tensor<2xf32> into tensor<1x2xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x2xf32>
// CHECK: %[[IB:.*]] = bufferization.to_buffer %[[I2]] read_only
// CHECK: memref.copy %[[IB]], %[[OUT]]
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: call @prune_mr_dense({{.*}}, %[[ONE]], %{{.*}})
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[OUT]]
// CHECK: tensor.collapse_shape %[[T]] {{\[}}[0, 1]] : tensor<1x2xf32> into tensor<2xf32>
func.func @matvec(%x: tensor<2xf32>, %init: tensor<2xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = linalg.matvec ins(%w, %x : tensor<2x2xf32>, tensor<2xf32>) outs(%init : tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// A convolution runs as im2col (transposed: [C*KH*KW, OH*OW], positions
// innermost) + the FC kernel writing out[F, OH*OW]; the bias-broadcast init
// accumulates.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d0, d4 * 2 + d1, d5 * 2 + d2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @conv
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<1x2x5x5xf32>) outs(%{{.*}} : tensor<2x2x2x1x2x2xf32>)
// CHECK: %[[P2:.*]] = tensor.collapse_shape %[[P]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<2x2x2x1x2x2xf32> into tensor<8x4xf32>
// CHECK: %[[INIT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2, 3]] : tensor<1x3x2x2xf32> into tensor<3x4xf32>
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[P2]] read_only
// CHECK: memref.transpose %[[XB]] (d0, d1) -> (d1, d0)
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x4xf32>
// CHECK: memref.copy
// CHECK: memref.transpose %[[OUT]] (d0, d1) -> (d1, d0)
// CHECK: call @prune_mr_dense
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2, 3]] output_shape [1, 3, 2, 2] : tensor<3x4xf32> into tensor<1x3x2x2xf32>
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv(%x: tensor<1x2x5x5xf32>, %init: tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<3x2x2x2xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : tensor<1x2x5x5xf32>, tensor<3x2x2x2xf32>) outs(%init : tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}

// -----

// Left to the sparsifier: a batched matmul with one weight per batch
// element, f16, dynamic shapes, a weight that is not a constant, and a
// 1-D conv.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: call
// CHECK: linalg.batch_matmul
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK: linalg.conv_1d_nwc_wcf
func.func @untouched(%a: tensor<2x3x4xf32>, %h: tensor<2x4xf16>, %d: tensor<?x4xf32>,
                     %x: tensor<2x4xf32>, %w: tensor<4x4xf32>, %img: tensor<2x3x1xf32>)
    -> (tensor<2x3x4xf32>, tensor<2x4xf16>, tensor<?x4xf32>, tensor<2x4xf32>, tensor<2x2x1xf32>) {
  %wb = arith.constant dense<1.0> : tensor<2x4x4xf32>
  %wh = arith.constant dense<1.0> : tensor<4x4xf16>
  %wf = arith.constant dense<1.0> : tensor<4x4xf32>
  %wc = arith.constant dense<1.0> : tensor<2x1x1xf32>
  %c0 = arith.constant 0 : index
  %e3 = tensor.empty() : tensor<2x3x4xf32>
  %r0 = linalg.batch_matmul ins(%a, %wb : tensor<2x3x4xf32>, tensor<2x4x4xf32>) outs(%e3 : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %eh = tensor.empty() : tensor<2x4xf16>
  %r1 = linalg.matmul ins(%h, %wh : tensor<2x4xf16>, tensor<4x4xf16>) outs(%eh : tensor<2x4xf16>) -> tensor<2x4xf16>
  %n = tensor.dim %d, %c0 : tensor<?x4xf32>
  %ed = tensor.empty(%n) : tensor<?x4xf32>
  %r2 = linalg.matmul ins(%d, %wf : tensor<?x4xf32>, tensor<4x4xf32>) outs(%ed : tensor<?x4xf32>) -> tensor<?x4xf32>
  %ex = tensor.empty() : tensor<2x4xf32>
  %r3 = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%ex : tensor<2x4xf32>) -> tensor<2x4xf32>
  %ec = tensor.empty() : tensor<2x2x1xf32>
  %r4 = linalg.conv_1d_nwc_wcf ins(%img, %wc : tensor<2x3x1xf32>, tensor<2x1x1xf32>) outs(%ec : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  return %r0, %r1, %r2, %r3, %r4 : tensor<2x3x4xf32>, tensor<2x4xf16>, tensor<?x4xf32>, tensor<2x4xf32>, tensor<2x2x1xf32>
}

// -----

// NHWC convolutions (TF, tosa-to-linalg): im2col with (kh, kw, c) rows and
// the positions of all images innermost, [KH*KW*C, N*OH*OW]; one call
// writes out[N*OH*OW, F], the NHWC output itself. HWCF filters are packed
// transposed; the bias broadcast by a linalg.generic (tosa-to-linalg) as
// the init is fused.
// CHECK-DAG: #[[NHWC:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4 * 2 + d0, d5 * 2 + d1, d2)>
// CHECK-LABEL: func.func @conv_nhwc_hwcf
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[NHWC]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<2x5x5x2xf32>) outs(%{{.*}} : tensor<2x2x2x2x2x2xf32>)
// CHECK: tensor.collapse_shape %[[P]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<2x2x2x2x2x2xf32> into tensor<8x8xf32>
// CHECK: memref.transpose %{{.*}} (d0, d1) -> (d1, d0)
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x3xf32>
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.transpose %[[OUT]]
// CHECK: arith.constant dense_resource<{{.*}}> : tensor<24xf32>
// CHECK: call @prune_mr_dense({{.*}}) {nn.epilogue = "bias", nn.kernel = "dense", nn.kernel_bytes = 96 : i64}
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2], [3]] output_shape [2, 2, 2, 3] : tensor<8x3xf32> into tensor<2x2x2x3xf32>
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: linalg.generic {{.*}} ins(%{{.*}} : tensor<3xf32>)
func.func @conv_nhwc_hwcf(%x: tensor<2x5x5x2xf32>) -> tensor<2x2x2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2x2x3xf32>
  %bias = arith.constant dense<[0.5, 1.0, 1.5]> : tensor<3xf32>
  %e = tensor.empty() : tensor<2x2x2x3xf32>
  %init = linalg.generic {indexing_maps = [affine_map<(n, h, w, f) -> (f)>, affine_map<(n, h, w, f) -> (n, h, w, f)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%bias : tensor<3xf32>) outs(%e : tensor<2x2x2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x2x2x3xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : tensor<2x5x5x2xf32>, tensor<2x2x2x3xf32>) outs(%init : tensor<2x2x2x3xf32>) -> tensor<2x2x2x3xf32>
  return %y : tensor<2x2x2x3xf32>
}

// -----

// conv_2d_nhwc_fhwc (tosa-to-linalg-named), batch 1, dilated, accumulating
// into a given init (copied into the [OH*OW, F] result buffer).
// CHECK-DAG: #[[FHWC:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4 + d0 * 2, d5 + d1 * 2, d2)>
// CHECK-LABEL: func.func @conv_nhwc_fhwc
// CHECK: linalg.generic {indexing_maps = [#[[FHWC]], #{{.*}}]{{.*}} ins(%{{.*}} : tensor<1x5x5x2xf32>) outs(%{{.*}} : tensor<2x2x2x1x3x3xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : tensor<1x3x3x4xf32> into tensor<9x4xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<9x4xf32>
// CHECK: memref.copy %{{.*}}, %[[OUT]]
// CHECK: %[[ACC:.*]] = arith.constant 1 : i32
// CHECK: call @prune_mr_dense(%{{.*}}, %{{.*}}, %{{.*}}, %[[ACC]], %{{.*}}) {nn.kernel = "dense"
// CHECK-NOT: linalg.conv_2d_nhwc_fhwc
func.func @conv_nhwc_fhwc(%x: tensor<1x5x5x2xf32>, %init: tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2x2x2xf32>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : tensor<1x5x5x2xf32>, tensor<4x2x2x2xf32>) outs(%init : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %y : tensor<1x3x3x4xf32>
}

// -----

// NCHW with batch 2: one im2col for both images ([C*KH*KW, N*OH*OW]) and
// one call per image in an scf.for, reading its columns and writing
// out[n] ([F, OH*OW]) in place.
// CHECK-LABEL: func.func @conv_nchw_batch
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<1x2x2x2x2x2xf32> into tensor<4x8xf32>
// CHECK: %[[XB:.*]] = bufferization.to_buffer
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x1x4xf32>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   %[[XI:.*]] = memref.subview %[[XB]][0, %{{.*}}] [4, 4] [1, 1]
// CHECK:   memref.transpose %[[XI]]
// CHECK:   %[[YI:.*]] = memref.subview %[[OUT]][%[[I]], 0, 0] [1, 1, 4] [1, 1, 1]
// CHECK:   memref.transpose %[[YI]]
// CHECK:   call @prune_mr_dense({{.*}}) {nn.kernel = "dense"
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [2, 1, 2, 2] : tensor<2x1x4xf32> into tensor<2x1x2x2xf32>
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv_nchw_batch(%img: tensor<2x1x3x3xf32>) -> tensor<2x1x2x2xf32> {
  %wc = arith.constant dense<1.0> : tensor<1x1x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %ec = tensor.empty() : tensor<2x1x2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%ec : tensor<2x1x2x2xf32>) -> tensor<2x1x2x2xf32>
  %r = linalg.conv_2d_nchw_fchw ins(%img, %wc : tensor<2x1x3x3xf32>, tensor<1x1x2x2xf32>) outs(%f : tensor<2x1x2x2xf32>) -> tensor<2x1x2x2xf32>
  return %r : tensor<2x1x2x2xf32>
}

// -----

// Depthwise convolutions: the same im2col as a full conv, and the FC kernel
// with the block-diagonal weight [C*M, C*KH*KW] packed as CSR (KH*KW
// entries per row; csr-tiled from 8 positions): NHWC hwc (2 channels, 2x2:
// 8 values + 8 u8 columns + 3 i32 row pointers = 52 bytes) with a bias
// init, hwcm with multiplier 2 (tosa-to-linalg; output [N*OH*OW, C*M]),
// NCHW chw, which reads its input in place (no patches: a [5, 14] view of
// the 18 inputs with unit strides; outputs on a 2x3 grid, the valid 2x2
// sliced out). Dense filters only with dense-block-diagonal (upstream's
// vectorized loops are faster for them); sparse ones by default (below).
// CHECK-LABEL: func.func @depthwise
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: linalg.depthwise_conv_2d_nhwc_hwcm
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// BLOCK-LABEL: func.func @depthwise
// BLOCK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<2x2x2x1x2x2xf32> into tensor<8x4xf32>
// BLOCK: memref.alloc() {alignment = 64 : i64} : memref<4x2xf32>
// BLOCK: call @prune_mr_csr8({{.*}}) {nn.epilogue = "bias", nn.kernel = "csr", nn.kernel_bytes = 52 : i64}
// BLOCK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2], [3]] output_shape [1, 2, 2, 2] : tensor<4x2xf32> into tensor<1x2x2x2xf32>
// BLOCK: memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
// BLOCK: call @prune_mr_csr8({{.*}}) {nn.kernel = "csr", nn.kernel_bytes = 100 : i64}
// BLOCK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4]] output_shape [1, 2, 2, 2, 2] : tensor<4x4xf32> into tensor<1x2x2x2x2xf32>
// BLOCK: memref.reinterpret_cast %{{.*}} to offset: [%{{.*}}], sizes: [5, 14], strides: [1, 1] : memref<18xf32, strided<[1], offset: ?>> to memref<5x14xf32, strided<[1, 1], offset: ?>>
// BLOCK: memref.alloc() {alignment = 64 : i64} : memref<2x6xf32>
// BLOCK: call @prune_mr_csr8({{.*}}) {nn.kernel = "csr"
// BLOCK: tensor.extract_slice %{{.*}}[0, 0, 0] [2, 2, 2] [1, 1, 1] : tensor<2x2x3xf32> to tensor<2x2x2xf32>
// BLOCK-NOT: linalg.depthwise
func.func @depthwise(%x: tensor<1x3x3x2xf32>, %xc: tensor<1x2x3x3xf32>)
    -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %bb = linalg.broadcast ins(%b : tensor<2xf32>) outs(%e : tensor<1x2x2x2xf32>) dimensions = [0, 1, 2]
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : tensor<1x3x3x2xf32>, tensor<2x2x2xf32>) outs(%bb : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %wm = arith.constant dense<1.0> : tensor<2x2x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %em = tensor.empty() : tensor<1x2x2x2x2xf32>
  %fm = linalg.fill ins(%zero : f32) outs(%em : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32>
  %ym = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %wm : tensor<1x3x3x2xf32>, tensor<2x2x2x2xf32>) outs(%fm : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32>
  %wc = arith.constant dense<2.0> : tensor<2x2x2xf32>
  %fc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %yc = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%xc, %wc : tensor<1x2x3x3xf32>, tensor<2x2x2xf32>) outs(%fc : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %y, %ym, %yc : tensor<1x2x2x2xf32>, tensor<1x2x2x2x2xf32>, tensor<1x2x2x2xf32>
}

// -----

// Grouped convolutions: im2col with the group outermost (rows (g, c, kh, kw)
// or (g, kh, kw, c)) and the block-diagonal weight [G*F, G*C*KH*KW] as CSR.
// 2 groups of 1 -> 2 channels, 2x2: 4 rows of 4 entries (100 bytes).
// (Dense filters: with dense-block-diagonal only.)
// CHECK-LABEL: func.func @grouped
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK: linalg.conv_2d_nhwgc_gfhwc
// BLOCK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d1, d2 + d5, d3 + d6)>
// BLOCK-DAG: #[[GH:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1 + d5, d2 + d6, d0, d3)>
// BLOCK-LABEL: func.func @grouped
// BLOCK: linalg.generic {indexing_maps = [#[[G]], #{{.*}}]{{.*}} outs(%{{.*}} : tensor<2x1x2x2x1x2x2xf32>)
// BLOCK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3], [4, 5, 6]] : tensor<2x1x2x2x1x2x2xf32> into tensor<8x4xf32>
// BLOCK: call @prune_mr_csr8({{.*}}) {nn.kernel = "csr", nn.kernel_bytes = 100 : i64}
// BLOCK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4]] output_shape [1, 2, 2, 2, 2] : tensor<4x4xf32> into tensor<1x2x2x2x2xf32>
// BLOCK: linalg.generic {indexing_maps = [#[[GH]], #{{.*}}]
// BLOCK: call @prune_mr_csr8({{.*}}) {nn.kernel = "csr", nn.kernel_bytes = 100 : i64}
// BLOCK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4]] output_shape [1, 2, 2, 2, 2] : tensor<4x4xf32> into tensor<1x2x2x2x2xf32>
// BLOCK-NOT: linalg.conv_2d
func.func @grouped(%x: tensor<1x2x1x3x3xf32>, %xh: tensor<1x3x3x2x1xf32>)
    -> (tensor<1x2x2x2x2xf32>, tensor<1x2x2x2x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x2x1x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32>
  %y = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : tensor<1x2x1x3x3xf32>, tensor<2x2x1x2x2xf32>) outs(%f : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32>
  %wh = arith.constant dense<2.0> : tensor<2x2x2x2x1xf32>
  %yh = linalg.conv_2d_nhwgc_gfhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%xh, %wh : tensor<1x3x3x2x1xf32>, tensor<2x2x2x2x1xf32>) outs(%f : tensor<1x2x2x2x2xf32>) -> tensor<1x2x2x2x2xf32>
  return %y, %yh : tensor<1x2x2x2x2xf32>, tensor<1x2x2x2x2xf32>
}

// -----

// A sparse depthwise filter (assembled by nn-sparsify in its dim order,
// [KH, KW, C], C compressed) is lowered by default: the block-diagonal
// weight has the filter's 3 nonzeros (3 values + 3 u8 + 3 i32 = 27 bytes).
#DW = #sparse_tensor.encoding<{ map = (d0, d1, d2) -> (d0 : dense, d1 : dense, d2 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-LABEL: func.func @depthwise_sparse
// CHECK: call @prune_mr_csr8({{.*}}) {nn.kernel = "csr", nn.kernel_bytes = 27 : i64}
// CHECK-NOT: linalg.depthwise
// CHECK-NOT: sparse_tensor.assemble
func.func @depthwise_sparse(%x: tensor<1x3x3x2xf32>) -> tensor<1x2x2x2xf32> {
  %pos = arith.constant dense<[0, 1, 1, 2, 3]> : tensor<5xi32>
  %crd = arith.constant dense<[0, 1, 0]> : tensor<3xi32>
  %val = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %w = sparse_tensor.assemble (%pos, %crd), %val
    : (tensor<5xi32>, tensor<3xi32>), tensor<3xf32> to tensor<2x2x2xf32, #DW>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : tensor<1x3x3x2xf32>, tensor<2x2x2xf32, #DW>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// tosa.matmul [1, M, K] x [1, K, N] (a batch_matmul with batch 1, the
// weight [1, K, N]): an FC layer on the collapsed [M, K] input; the
// tosa.add of a [1, 1, N] constant is fused as the bias.
// CHECK-LABEL: func.func @tosa_fc
// CHECK: %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x3x6xf32> into tensor<3x6xf32>
// CHECK: bufferization.to_buffer %[[X]]
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x5xf32>
// CHECK: arith.constant dense_resource<{{.*}}> : tensor<30xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<1x1x5xf32> into tensor<5xf32>
// CHECK: call @prune_mr_dense({{.*}}) {nn.epilogue = "bias", nn.kernel = "dense", nn.kernel_bytes = 120 : i64}
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [1, 3, 5] : tensor<3x5xf32> into tensor<1x3x5xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: arith.addf
func.func @tosa_fc(%x: tensor<1x3x6xf32>) -> tensor<1x3x5xf32> {
  %w = arith.constant dense<0.25> : tensor<1x6x5xf32>
  %b = arith.constant dense<1.0> : tensor<1x1x5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x5xf32>) -> tensor<1x3x5xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<1x3x6xf32>, tensor<1x6x5xf32>) outs(%f : tensor<1x3x5xf32>) -> tensor<1x3x5xf32>
  %e2 = tensor.empty() : tensor<1x3x5xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (0, 0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
    ins(%y, %b : tensor<1x3x5xf32>, tensor<1x1x5xf32>) outs(%e2 : tensor<1x3x5xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<1x3x5xf32>
  return %z : tensor<1x3x5xf32>
}

// -----

// A weight broadcast over the batch (batch_matmul whose weight map has no
// batch dim, [K, N]): the batch and row loops flatten
// into one FC batch of 2*3 rows. A batched generic contraction of a
// [1, 1, K] row with a [1, N, K] weight is an FC layer with batch 1.
// CHECK-LABEL: func.func @batch_matmul_shared
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x6xf32> into tensor<6x6xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<6x5xf32>
// CHECK: call @prune_mr_dense({{.*}}) {nn.kernel = "dense"
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 3, 5] : tensor<6x5xf32> into tensor<2x3x5xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x1x6xf32> into tensor<1x6xf32>
// CHECK: call @prune_mr_dense({{.*}}) {nn.kernel = "dense"
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [1, 1, 5] : tensor<1x5xf32> into tensor<1x1x5xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: linalg.generic
func.func @batch_matmul_shared(%x: tensor<2x3x6xf32>, %v: tensor<1x1x6xf32>) -> (tensor<2x3x5xf32>, tensor<1x1x5xf32>) {
  %w = arith.constant dense<0.25> : tensor<6x5xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %y = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%x, %w : tensor<2x3x6xf32>, tensor<6x5xf32>) outs(%f : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %w3 = arith.constant dense<0.5> : tensor<1x5x6xf32>
  %e1 = tensor.empty() : tensor<1x1x5xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x1x5xf32>) -> tensor<1x1x5xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
    ins(%v, %w3 : tensor<1x1x6xf32>, tensor<1x5x6xf32>) outs(%f1 : tensor<1x1x5xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x5xf32>
  return %y, %z : tensor<2x3x5xf32>, tensor<1x1x5xf32>
}

// -----

// An assembled CSR weight (as nn-sparsify writes it) asking for 3x1 blocks
// that do not tile its 4 rows: packed as CSR instead, with a remark.
#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-LABEL: func.func @bsr_fallback
// CHECK: call @prune_mr_csr8({{.*}}) {nn.kernel = "csr", nn.kernel_bytes = 40 : i64}
// CHECK-NOT: sparse_tensor.assemble
// NODENSE-LABEL: func.func @bsr_fallback
// NODENSE: call @prune_mr_csr8
func.func @bsr_fallback(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %pos = arith.constant dense<[0, 1, 2, 3, 4]> : tensor<5xi32>
  %crd = arith.constant dense<[0, 1, 0, 1]> : tensor<4xi32>
  %val = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  // expected-remark @+1 {{nn-lower-kernels: 3x1 blocks do not tile this 4x2 weight; using csr}}
  %w = sparse_tensor.assemble (%pos, %crd), %val {prune.layout = #prune.layout<format = bsr, block_rows = 3, block_cols = 1>}
    : (tensor<5xi32>, tensor<4xi32>), tensor<4xf32> to tensor<4x2xf32, #CSR>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(b, o, k) -> (b, k)>, affine_map<(b, o, k) -> (o, k)>, affine_map<(b, o, k) -> (b, o)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%x, %w : tensor<1x2xf32>, tensor<4x2xf32, #CSR>) outs(%f : tensor<1x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// The same CSR weight with 8 batch rows: packed as csr-tiled (one 256x256
// block; every row holds 1 entry, so one run): 4 values, 4 u8 columns, 4 u8
// row ids, 1 run (2 u16), 6 i32 of meta = 52 bytes. csr-tiled-batch=0
// keeps the row layout.
#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-LABEL: func.func @tiled
// CHECK: call @prune_mr_csr_tiled({{.*}}) {nn.kernel = "csr-tiled", nn.kernel_bytes = 52 : i64}
// ROWS-LABEL: func.func @tiled
// ROWS: call @prune_mr_csr8({{.*}}) {nn.kernel = "csr", nn.kernel_bytes = 40 : i64}
func.func @tiled(%x: tensor<8x2xf32>) -> tensor<8x4xf32> {
  %pos = arith.constant dense<[0, 1, 2, 3, 4]> : tensor<5xi32>
  %crd = arith.constant dense<[0, 1, 0, 1]> : tensor<4xi32>
  %val = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = sparse_tensor.assemble (%pos, %crd), %val
    : (tensor<5xi32>, tensor<4xi32>), tensor<4xf32> to tensor<4x2xf32, #CSR>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(b, o, k) -> (b, k)>, affine_map<(b, o, k) -> (o, k)>, affine_map<(b, o, k) -> (b, o)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%x, %w : tensor<8x2xf32>, tensor<4x2xf32, #CSR>) outs(%f : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// Epilogues fused into the call (flags: 1 accumulate, 2 ReLU; the bias is
// passed as a memref): a bias broadcast as the conv's init followed by a
// cmpf ugt + select ReLU (LeNet); a torch-style bias add + maximumf ReLU in
// one generic after a matmul (MNIST MLP).
// CHECK-LABEL: func.func @conv_bias_relu
// CHECK-NOT: linalg.broadcast
// CHECK: %[[TWO:.*]] = arith.constant 2 : i32
// CHECK: %[[B:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<3xf32> to memref<3xf32>
// CHECK: %[[BC:.*]] = memref.cast %[[B]] : memref<3xf32> to memref<?xf32>
// CHECK: call @prune_mr_dense({{.*}}, %[[TWO]], %[[BC]]) {nn.epilogue = "bias+relu", nn.kernel = "dense"
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @conv_bias_relu(%x: tensor<1x2x5x5xf32>) -> tensor<1x3x2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<3x2x2x2xf32>
  %bias = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x2x2xf32>
  %b = linalg.broadcast ins(%bias : tensor<3xf32>) outs(%e : tensor<1x3x2x2xf32>) dimensions = [0, 2, 3]
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : tensor<1x2x5x5xf32>, tensor<3x2x2x2xf32>) outs(%b : tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%y : tensor<1x3x2x2xf32>) outs(%e : tensor<1x3x2x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.cmpf ugt, %in, %zero : f32
    %s = arith.select %c, %in, %zero : f32
    linalg.yield %s : f32
  } -> tensor<1x3x2x2xf32>
  return %r : tensor<1x3x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @linear_bias_relu
// CHECK: call @prune_mr_dense({{.*}}) {nn.epilogue = "bias+relu", nn.kernel = "dense"
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @linear_bias_relu(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %bias = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
    ins(%y, %bias : tensor<2x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

// Not fused: a bias along the batch dimension, a non-constant bias, a
// NaN-dropping ReLU (cmpf ogt), and an op whose result has two users.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: nn.epilogue
// CHECK-COUNT-4: linalg.generic
func.func @not_fused(%x: tensor<2x3xf32>, %v: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %bb = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y0 = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                        iterator_types = ["parallel", "parallel"]}
    ins(%y0, %bb : tensor<2x4xf32>, tensor<2xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %y1 = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                        iterator_types = ["parallel", "parallel"]}
    ins(%y1, %v : tensor<2x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %y2 = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                        iterator_types = ["parallel", "parallel"]}
    ins(%y2 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.cmpf ogt, %a, %zero : f32
    %s = arith.select %c, %a, %zero : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %y3 = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r3 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                        iterator_types = ["parallel", "parallel"]}
    ins(%y3 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %r0, %r1, %r2, %r3, %y3 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// A bitmask weight whose layout (nn-sparsify's decision) is the batched
// regime runs as csr-tiled (the bitmask kernel's expands only pay at batch
// 1); nn-lower-kernels' csr-tiled-batch is only for weights without a
// layout, so it does not override it. The single regime keeps the bitmask
// kernel at any batch.
#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-LABEL: func.func @tiled_bitmask
// CHECK: call @prune_mr_csr_tiled({{.*}}) {nn.kernel = "csr-tiled"
// ROWS-LABEL: func.func @tiled_bitmask
// ROWS: call @prune_mr_csr_tiled({{.*}}) {nn.kernel = "csr-tiled"
func.func @tiled_bitmask(%x: tensor<8x2xf32>) -> tensor<8x4xf32> {
  %pos = arith.constant dense<[0, 1, 2, 3, 4]> : tensor<5xi32>
  %crd = arith.constant dense<[0, 1, 0, 1]> : tensor<4xi32>
  %val = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = sparse_tensor.assemble (%pos, %crd), %val {prune.layout = #prune.layout<format = bitmask, regime = batched, batch = 8>}
    : (tensor<5xi32>, tensor<4xi32>), tensor<4xf32> to tensor<4x2xf32, #CSR>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(b, o, k) -> (b, k)>, affine_map<(b, o, k) -> (o, k)>, affine_map<(b, o, k) -> (b, o)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%x, %w : tensor<8x2xf32>, tensor<4x2xf32, #CSR>) outs(%f : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-LABEL: func.func @single_bitmask
// CHECK: call @prune_mr_bitmask({{.*}}) {nn.kernel = "bitmask"
// ROWS-LABEL: func.func @single_bitmask
// ROWS: call @prune_mr_bitmask({{.*}}) {nn.kernel = "bitmask"
func.func @single_bitmask(%x: tensor<8x2xf32>) -> tensor<8x4xf32> {
  %pos = arith.constant dense<[0, 1, 2, 3, 4]> : tensor<5xi32>
  %crd = arith.constant dense<[0, 1, 0, 1]> : tensor<4xi32>
  %val = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = sparse_tensor.assemble (%pos, %crd), %val {prune.layout = #prune.layout<format = bitmask, batch = 8>}
    : (tensor<5xi32>, tensor<4xi32>), tensor<4xf32> to tensor<4x2xf32, #CSR>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(b, o, k) -> (b, k)>, affine_map<(b, o, k) -> (o, k)>, affine_map<(b, o, k) -> (b, o)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%x, %w : tensor<8x2xf32>, tensor<4x2xf32, #CSR>) outs(%f : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}
