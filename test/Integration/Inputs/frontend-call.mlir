// A stablehlo->linalg style export: the public @main holds the weights and
// calls the public @model, whose contraction reads them as arguments.
// y = x W^T + b with W 3x4. See test/Integration/frontend-forms.test.
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 1.0, 2.0, -0.25], [0.1, 5.0, -1.0, 2.0]]> : tensor<3x4xf32>
  %b = arith.constant dense<[0.5, -10.0, 1.0]> : tensor<3xf32>
  %y = call @model(%x, %w, %b) : (tensor<1x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
func.func @model(%x: tensor<1x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<1x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
  %eo = tensor.empty() : tensor<1x3xf32>
  %bb = linalg.broadcast ins(%b : tensor<3xf32>) outs(%eo : tensor<1x3xf32>) dimensions = [0]
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%bb : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
