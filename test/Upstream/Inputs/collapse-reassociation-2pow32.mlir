// A reassociation index of 2^32: MLIR 22's verifier sees it as 0.
func.func @f(%w: tensor<2x3x2xf32>) -> tensor<6x2xf32> {
  %c = tensor.collapse_shape %w [[4294967296, 1], [2]] : tensor<2x3x2xf32> into tensor<6x2xf32>
  return %c : tensor<6x2xf32>
}
