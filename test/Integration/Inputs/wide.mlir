func.func @wide(%x: tensor<1x65536xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<0.5> : tensor<65536x1xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x1xf32>) -> tensor<1x1xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x65536xf32>, tensor<65536x1xf32>) outs(%i : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
