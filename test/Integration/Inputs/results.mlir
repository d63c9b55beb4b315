// Results that are an argument, a large constant and a small constant: the
// compiled function returns fresh copies, which the runner frees.
func.func @results(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1024x1024xf32>, tensor<1x4xf32>) {
  %c = arith.constant dense<2.0> : tensor<1024x1024xf32>
  %k = arith.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
  return %x, %c, %k : tensor<1x4xf32>, tensor<1024x1024xf32>, tensor<1x4xf32>
}
