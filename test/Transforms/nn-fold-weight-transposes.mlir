// RUN: prune-opt %s -split-input-file --nn-fold-weight-transposes | FileCheck %s

// torch's x @ W.T: the transpose of the constant is done at compile time;
// the matmul reads W^T[in, out] = [[1,5,9],[2,6,10],[3,7,11],[4,8,12]].
// CHECK-LABEL: func.func @linear
// CHECK-NOT: linalg.transpose
// CHECK: %[[WT:.*]] = arith.constant dense_resource<[[BLOB:nn_transposed[_0-9]*]]> : tensor<4x3xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[WT]] : tensor<1x4xf32>, tensor<4x3xf32>)
// CHECK: [[BLOB]]: "0x040000000000803F0000A04000001041000000400000C04000002041000040400000E04000003041000080400000004100004041"
func.func @linear(%x: tensor<1x4xf32>, %init: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%init : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// A transpose of an activation (not a constant) stays.
// CHECK-LABEL: func.func @activation
// CHECK: linalg.transpose
// CHECK: linalg.matmul
func.func @activation(%x: tensor<4x1xf32>, %w: tensor<4x3xf32>, %init: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %e = tensor.empty() : tensor<1x4xf32>
  %t = linalg.transpose ins(%x : tensor<4x1xf32>) outs(%e : tensor<1x4xf32>) permutation = [1, 0]
  %y = linalg.matmul ins(%t, %w : tensor<1x4xf32>, tensor<4x3xf32>) outs(%init : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
