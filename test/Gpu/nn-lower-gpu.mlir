// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-lower-kernels=target=gpu | FileCheck %s --check-prefix=CALL
// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-lower-kernels=target=gpu --nn-lower-gpu-calls | FileCheck %s --check-prefix=LAUNCH
// The two steps in two processes: the #prune.gpu_call between them reads back.
// RUN: prune-opt %s -split-input-file --nn-lower-kernels=target=gpu | prune-opt -split-input-file --nn-lower-gpu-calls | FileCheck %s --check-prefix=LAUNCH
// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-lower-kernels=target=gpu "--nn-lower-gpu-calls=chip=sm_80" | FileCheck %s --check-prefix=SM80

// The GPU lowering's two steps (docs/Design.md, "GPU backend"):
// nn-lower-kernels{target=gpu} replaces a layer by a call of a declaration
// carrying a #prune.gpu_call (the GPU layout of its weight, its shape, the
// epilogue flags), its arguments y, x, the weight's arrays and the bias;
// nn-lower-gpu-calls (after bufferization in nn-lower-gpu) defines it:
// staging, device buffers, resident weights and the plan's launches of
// kernels in gpu.module @prune_gpu_kernels, each a gpu.func calling the
// kernels' bitcode (linked by the #nvvm.target).

// A dense layer at batch 2: the tiled dense kernel, no bias.
// CALL: func.func private @prune_gpu_fc_0(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 4, cols = 3, batch = 2, array_bytes = [48]>}
// CALL-LABEL: func.func @linear
// CALL: call @prune_gpu_fc_0({{.*}}) {nn.kernel = "dense", nn.kernel_bytes = 48 : i64}
// CALL-NOT: linalg.matmul
// LAUNCH: module attributes {gpu.container_module}
// LAUNCH: func.func private @prune_gpu_resident(!llvm.ptr, i64) -> !llvm.ptr
// LAUNCH-LABEL: func.func private @prune_gpu_fc_0(
// LAUNCH: %[[XH:.*]] = memref.alloc() : memref<2x3xf32>
// LAUNCH: memref.copy %{{.*}}, %[[XH]]
// LAUNCH: %[[T0:.*]] = gpu.wait async
// LAUNCH: %[[XD:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] () : memref<2x3xf32>
// LAUNCH: %[[T2:.*]] = gpu.memcpy async [%[[T1]]] %[[XD]], %[[XH]]
// LAUNCH: gpu.alloc async [%[[T2]]] () : memref<2x4xf32>
// The weight's bytes: its memref's size (12 floats) x 4.
// LAUNCH: %[[N:.*]] = memref.dim %{{.*}}, %c0 : memref<?xf32>
// LAUNCH: %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
// LAUNCH: %[[BYTES:.*]] = arith.muli %[[NI]], %c4_i64
// LAUNCH: %[[W:.*]] = call @prune_gpu_resident(%{{.*}}, %[[BYTES]])
// LAUNCH: gpu.launch_func async [%{{.*}}] @prune_gpu_kernels::@dense_tiled blocks in (%c1, %c1{{.*}}, %c1{{.*}}) threads in (%c256, %c1{{.*}}, %c1{{.*}}) args(%[[W]] : !llvm.ptr,
// LAUNCH: gpu.memcpy async
// LAUNCH-COUNT-2: gpu.dealloc async
// LAUNCH: gpu.wait [%{{.*}}]
// LAUNCH: memref.dealloc
// LAUNCH: gpu.module @prune_gpu_kernels [#nvvm.target<O = 3, chip = "sm_90", link = ["{{.*}}PruneGpuKernels.sm_90.bc"]>]
// LAUNCH: llvm.func @prune_gpu_dense_tiled(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i64, i64, i64, i32)
// LAUNCH: gpu.func @dense_tiled({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// LAUNCH: llvm.call @prune_gpu_dense_tiled(
// SM80: gpu.module @prune_gpu_kernels [#nvvm.target<O = 3, chip = "sm_80", link = ["{{.*}}PruneGpuKernels.sm_80.bc"]>]
func.func @linear(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// A csr weight at batch 1 with a bias and a ReLU (fused: flags = 2): a warp
// per row, 8 rows per block; the bias is resident like the arrays.
#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// CALL-LABEL: func.func private @prune_gpu_fc_0(
// CALL-SAME: memref<?xi32>, memref<?xi8>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "csr8", rows = 3, cols = 4, batch = 1, flags = 2, bias = true, array_bytes = [16, 5, 20]>}
// CALL-LABEL: func.func @csr_bias_relu
// CALL: call @prune_gpu_fc_0({{.*}}) {nn.epilogue = "bias+relu", nn.kernel = "csr"
// LAUNCH-LABEL: func.func private @prune_gpu_fc_0(
// LAUNCH-COUNT-4: call @prune_gpu_resident
// LAUNCH: gpu.launch_func async [%{{.*}}] @prune_gpu_kernels::@warp_rows_csr8 blocks in (%c1,
// LAUNCH-NOT: gpu.launch_func
// LAUNCH: gpu.func @warp_rows_csr8(
// LAUNCH: llvm.call @prune_gpu_warp_rows_csr8(
func.func @csr_bias_relu(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %pos = arith.constant dense<[0, 2, 3, 5]> : tensor<4xi32>
  %crd = arith.constant dense<[0, 3, 1, 0, 2]> : tensor<5xi32>
  %val = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>
  %w = sparse_tensor.assemble (%pos, %crd), %val : (tensor<4xi32>, tensor<5xi32>), tensor<5xf32> to tensor<3x4xf32, #CSR>
  %bias = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%x, %w : tensor<1x4xf32>, tensor<3x4xf32, #CSR>) outs(%f : tensor<1x3xf32>) -> tensor<1x3xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y, %bias : tensor<1x3xf32>, tensor<3xf32>) outs(%e : tensor<1x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x3xf32>
  return %b : tensor<1x3xf32>
}

// -----

// The same csr weight at batch 4: x transposed into a device scratch, then
// a block per 32 rows x 32 batch columns.
#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// LAUNCH-LABEL: func.func private @prune_gpu_fc_0(
// LAUNCH: gpu.alloc async [%{{.*}}] () : memref<16xf32>
// LAUNCH: gpu.launch_func async [%{{.*}}] @prune_gpu_kernels::@transpose_x
// LAUNCH: gpu.launch_func async [%{{.*}}] @prune_gpu_kernels::@tile_rows_csr8
// LAUNCH-COUNT-3: gpu.dealloc async
func.func @csr_batched(%x: tensor<4x4xf32>) -> tensor<4x3xf32> {
  %pos = arith.constant dense<[0, 2, 3, 5]> : tensor<4xi32>
  %crd = arith.constant dense<[0, 3, 1, 0, 2]> : tensor<5xi32>
  %val = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>
  %w = sparse_tensor.assemble (%pos, %crd), %val : (tensor<4xi32>, tensor<5xi32>), tensor<5xf32> to tensor<3x4xf32, #CSR>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%x, %w : tensor<4x4xf32>, tensor<3x4xf32, #CSR>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Nothing to lower: no gpu.module, no runtime declaration.
// LAUNCH-LABEL: func.func @no_layers
// LAUNCH-NOT: gpu.module
// LAUNCH-NOT: prune_gpu_resident
func.func @no_layers(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
