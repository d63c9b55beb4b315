// RUN: prune-opt %s --nn-prune=sparsity=0.5 --nn-sparsify=format=csr -verify-diagnostics | FileCheck %s

// A weight broadcast into a batch_matmul is left dense, with a remark.
// CHECK-LABEL: func.func @broadcast
// CHECK: prune.layout = #prune.layout<format = dense
// CHECK: linalg.broadcast
// CHECK-NOT: sparse_tensor.assemble
func.func @broadcast(%x: tensor<2x1x4xf32>, %init: tensor<2x1x3xf32>) -> tensor<2x1x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 2.0, 3.0]]> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<2x4x3xf32>
  %b = linalg.broadcast ins(%w : tensor<4x3xf32>) outs(%e : tensor<2x4x3xf32>) dimensions = [0]
  // expected-remark@+1 {{nn-sparsify: weight 'w0' left dense here: it reaches this op through a broadcast}}
  %y = linalg.batch_matmul ins(%x, %b : tensor<2x1x4xf32>, tensor<2x4x3xf32>) outs(%init : tensor<2x1x3xf32>) -> tensor<2x1x3xf32>
  return %y : tensor<2x1x3xf32>
}
