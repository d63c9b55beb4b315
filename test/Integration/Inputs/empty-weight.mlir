func.func @f(%x: tensor<1x0xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<> : tensor<0x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x0xf32>, tensor<0x4xf32>) outs(%i : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
