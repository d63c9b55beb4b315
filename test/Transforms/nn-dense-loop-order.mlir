// RUN: prune-opt %s -split-input-file --linalg-generalize-named-ops --nn-dense-loop-order | FileCheck %s
// RUN: prune-opt %s -split-input-file --linalg-generalize-named-ops --nn-dense-loop-order -mlir-print-local-scope \
// RUN:   | FileCheck %s --check-prefix=MAPS
// RUN: prune-opt %s -split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(linalg-generalize-named-ops,nn-dense-loop-order))' | FileCheck %s

// matmul (m, n, k) becomes (m, k, n): the innermost loop walks the output
// row and B's row contiguously, with no loop-carried reduction.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "reduction", "parallel"]}
// MAPS-LABEL: func.func @matmul
// MAPS: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]}
func.func @matmul(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>, %c: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x3xf32>) outs(%c : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// NCHW conv: output width innermost, the reductions just outside it. Loops
// (n, f, oh, c, kh, kw, ow): the input is read at (n, c, oh + kh, kw + ow),
// the filter at (f, c, kh, kw), the output written at (n, f, oh, ow).
// CHECK-LABEL: func.func @conv
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// MAPS-LABEL: func.func @conv
// MAPS: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d3, d2 + d4, d5 + d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d3, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d6)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
func.func @conv(%x: tensor<1x2x6x6xf32>, %f: tensor<3x2x3x3xf32>, %init: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) outs(%init : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

// Contractions with a sparse operand are the sparsifier's to order.
#CSR = #sparse_tensor.encoding<{map = (d0, d1) -> (d0 : dense, d1 : compressed)}>
// CHECK-LABEL: func.func @sparse
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// MAPS-LABEL: func.func @sparse
// MAPS: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @sparse(%a: tensor<2x4xf32>, %b: tensor<4x3xf32, #CSR>, %c: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x3xf32, #CSR>) outs(%c : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
