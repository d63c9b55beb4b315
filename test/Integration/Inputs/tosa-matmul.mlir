func.func @f(%x: tensor<1x1x4xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() {values = dense<[[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]]> : tensor<1x4x2xf32>} : () -> tensor<1x4x2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w, %zp, %zp : (tensor<1x1x4xf32>, tensor<1x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %y : tensor<1x1x2xf32>
}
