func.func @f(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %wc = tensor.cast %w : tensor<4x2xf32> to tensor<?x?xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %ic = tensor.cast %i : tensor<1x2xf32> to tensor<1x?xf32>
  %y = linalg.matmul ins(%x, %wc : tensor<1x4xf32>, tensor<?x?xf32>) outs(%ic : tensor<1x?xf32>) -> tensor<1x?xf32>
  %r = tensor.cast %y : tensor<1x?xf32> to tensor<1x2xf32>
  return %r : tensor<1x2xf32>
}
