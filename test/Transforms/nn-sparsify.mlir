// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-sparsify=format=csr | FileCheck %s
// Idempotent on its own output:
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-sparsify=format=csr | FileCheck %s
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-sparsify=format=dense | FileCheck %s --check-prefix=DENSE
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-sparsify=min-sparsity=0.6 | FileCheck %s --check-prefix=DENSE
// With the AVX-512 kernels' costs, format=auto keeps these small
// cache-resident weights dense at 50 % (no format is both smaller and not
// slower):
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 "--nn-sparsify=isa=avx512" | FileCheck %s --check-prefix=DENSE
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 "--nn-sparsify=index-width=16 format=csr" | FileCheck %s --check-prefix=I16

// A torch-style linear layer, W[out=3, in=4] transposed into the matmul.
// The weight is stored CSR over [out, in] (each output is a sparse dot
// product); the transpose is folded away into the indexing map.
// CHECK-DAG: #[[CSR:.*]] = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-DAG: #[[X_MAP:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W_MAP:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @linear
// CHECK-NOT: linalg.transpose
// CHECK: %[[POS:.*]] = arith.constant dense_resource<[[POS_BLOB:nn_sparse_index[_0-9]*]]> : tensor<4xi32>
// CHECK: %[[CRD:.*]] = arith.constant dense_resource<[[CRD_BLOB:nn_sparse_index[_0-9]*]]> : tensor<5xi32>
// CHECK: %[[VAL:.*]] = arith.constant dense_resource<[[VAL_BLOB:nn_sparse_values[_0-9]*]]> : tensor<5xf32>
// CHECK: %[[W_SPARSE:.*]] = sparse_tensor.assemble (%[[POS]], %[[CRD]]), %[[VAL]] {prune.decision = #prune.decision<name = "w0", criterion = magnitude, pattern = unstructured, scope = layer, sparsity = 5.000000e-01, zeros = 7, elements = 12>, prune.layout = #prune.layout<format = csr, index_bits = 8, bytes = 41, costs = {csr = {{.*}} : f64}>} : (tensor<4xi32>, tensor<5xi32>), tensor<5xf32> to tensor<3x4xf32, #[[CSR]]>
// CHECK: linalg.generic {indexing_maps = [#[[X_MAP]], #[[W_MAP]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[W_SPARSE]] : tensor<1x4xf32>, tensor<3x4xf32, #[[CSR]]>)
// (The weight already has 7 zeros, more than the target 6: it stays as is.)
// The compressed arrays: positions [0, 2, 3, 5], coordinates [1, 3, 0, 2, 3],
// values [2, 4, 5, 7, 8].
// CHECK: [[POS_BLOB]]: "0x0400000000000000020000000300000005000000"
// CHECK: [[CRD_BLOB]]: "0x040000000100000003000000000000000200000003000000"
// CHECK: [[VAL_BLOB]]: "0x0400000000000040000080400000A0400000E04000000041"
// DENSE-LABEL: func.func @linear
// DENSE: arith.constant {prune.decision = #prune.decision<{{.*}}>, prune.layout = #prune.layout<format = dense{{.*}}>} dense_resource
// DENSE: linalg.transpose
// DENSE-NOT: sparse_tensor
// I16-LABEL: func.func @linear
// I16: tensor<4xi16>, tensor<5xi16>
func.func @linear(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[0.0, 2.0, 0.0, 4.0], [5.0, 0.0, 0.0, 0.0], [0.0, 0.0, 7.0, 8.0]]> : tensor<3x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
  %eo = tensor.empty() : tensor<1x3xf32>
  %i = linalg.fill ins(%z : f32) outs(%eo : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%i : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// A conv filter [F, C, H, W]: the output dim is dense, the reduction dims
// compressed; the named op is kept.
// CHECK-DAG: #[[CONV:.*]] = #sparse_tensor.encoding<{ map = (d0, d1, d2, d3) -> (d0 : dense, d1 : compressed, d2 : compressed, d3 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-LABEL: func.func @conv
// CHECK: %[[F:.*]] = sparse_tensor.assemble {{.*}} : (tensor<3xi32>, tensor<1xi32>, tensor<2xi32>, tensor<2xi32>, tensor<3xi32>, tensor<4xi32>), tensor<4xf32> to tensor<2x1x2x2xf32, #[[CONV]]>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %[[F]] : tensor<1x1x4x4xf32>, tensor<2x1x2x2xf32, #[[CONV]]>)
// Filter 0 is all zero: C positions [0, 0, 1], C coords [0], H [0, 2] /
// [0, 1], W [0, 2, 4] / [0, 1, 0, 1], values [5, 6, -7, 8].
// CHECK: "0x04000000000000000000000001000000"
// CHECK-NEXT: "0x0400000000000000"
// CHECK-NEXT: "0x040000000000000002000000"
// CHECK-NEXT: "0x040000000000000001000000"
// CHECK-NEXT: "0x04000000000000000200000004000000"
// CHECK-NEXT: "0x0400000000000000010000000000000001000000"
// CHECK-NEXT: "0x040000000000A0400000C0400000E0C000000041"
func.func @conv(%x: tensor<1x1x4x4xf32>, %init: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %f = arith.constant dense<[[[[1.0, -2.0], [3.0, -4.0]]], [[[5.0, 6.0], [-7.0, 8.0]]]]> : tensor<2x1x2x2xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<1x1x4x4xf32>, tensor<2x1x2x2xf32>) outs(%init : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// Keras-style W[in, out] (no transpose): also stored CSR over [out, in].
// CHECK-LABEL: func.func @keras_dense
// CHECK: sparse_tensor.assemble {{.*}} to tensor<2x4xf32, #{{.*}}>
// CHECK: linalg.generic
// CHECK-SAME: tensor<2x4xf32, #{{.*}}>
func.func @keras_dense(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
