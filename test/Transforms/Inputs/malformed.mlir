func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, : tensor<4xf32>
  return %y : tensor<4xf32>
}
