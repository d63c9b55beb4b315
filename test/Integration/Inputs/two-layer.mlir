// A two-layer MLP with a torch-style (transposed) and a keras-style weight,
// bias, and ReLU written as cmpf+select. Used by the integration tests.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %z = arith.constant 0.0 : f32
  %w1 = arith.constant dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 1.0, 2.0, -0.25], [0.1, 5.0, -1.0, 2.0]]> : tensor<3x4xf32>
  %b1 = arith.constant dense<[0.5, -10.0, 1.0]> : tensor<3xf32>
  %w2 = arith.constant dense<[[1.0, -1.0], [2.0, 0.5], [-0.5, 3.0]]> : tensor<3x2xf32>
  %et = tensor.empty() : tensor<4x3xf32>
  %t = linalg.transpose ins(%w1 : tensor<3x4xf32>) outs(%et : tensor<4x3xf32>) permutation = [1, 0]
  %e1 = tensor.empty() : tensor<1x3xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x3xf32>) -> tensor<1x3xf32>
  %m1 = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%f1 : tensor<1x3xf32>) -> tensor<1x3xf32>
  %a1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%m1, %b1 : tensor<1x3xf32>, tensor<3xf32>) outs(%e1 : tensor<1x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x3xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a1 : tensor<1x3xf32>) outs(%e1 : tensor<1x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.cmpf ugt, %a, %z : f32
    %s = arith.select %c, %a, %z : f32
    linalg.yield %s : f32
  } -> tensor<1x3xf32>
  %e2 = tensor.empty() : tensor<1x2xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<1x2xf32>) -> tensor<1x2xf32>
  %m2 = linalg.matmul ins(%r1, %w2 : tensor<1x3xf32>, tensor<3x2xf32>) outs(%f2 : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %m2 : tensor<1x2xf32>
}

func.func @main() {
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
  %y = call @mlp(%x) : (tensor<1x4xf32>) -> tensor<1x2xf32>
  %u = tensor.cast %y : tensor<1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
func.func private @printMemrefF32(tensor<*xf32>)
