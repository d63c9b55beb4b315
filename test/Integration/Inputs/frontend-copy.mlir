// A buddy-mlir style export: the weight is copied (linalg.copy) and
// transposed by a linalg.generic that only yields its input.
// y = x W^T + b with W 3x4. See test/Integration/frontend-forms.test.
#kn = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 1.0, 2.0, -0.25], [0.1, 5.0, -1.0, 2.0]]> : tensor<3x4xf32>
  %b = arith.constant dense<[0.5, -10.0, 1.0]> : tensor<3xf32>
  %e0 = tensor.empty() : tensor<3x4xf32>
  %c = linalg.copy ins(%w : tensor<3x4xf32>) outs(%e0 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %e1 = tensor.empty() : tensor<4x3xf32>
  %t = linalg.generic {indexing_maps = [#kn, #id], iterator_types = ["parallel", "parallel"]} ins(%c : tensor<3x4xf32>) outs(%e1 : tensor<4x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x3xf32>
  %eo = tensor.empty() : tensor<1x3xf32>
  %bb = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<3xf32>) outs(%eo : tensor<1x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%bb : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
