// An int8 weight (left untouched, with a remark) next to an f32 one.
func.func @two_weights(%x: tensor<1x4xi8>, %i: tensor<1x2xi32>, %xf: tensor<1x4xf32>, %f: tensor<1x2xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>) {
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xi8>, tensor<4x2xi8>) outs(%i : tensor<1x2xi32>) -> tensor<1x2xi32>
  %v = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %z = linalg.matmul ins(%xf, %v : tensor<1x4xf32>, tensor<4x2xf32>) outs(%f : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y, %z : tensor<1x2xi32>, tensor<1x2xf32>
}
