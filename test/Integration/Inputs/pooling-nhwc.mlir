// NHWC poolings nn-vectorize-pooling rewrites (test/Integration/pooling.test):
// max 3x3 stride 2 (overlapping windows), sum 2x2 stride 2, max 2x3
// stride 2, summed; 2 images, 9x11, 3 channels: pooling.mlir in NHWC.
func.func @pools(%x: tensor<2x9x11x3xf32>) -> tensor<2x4x5x3xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x5x3xf32>
  %lo = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
  %w33 = tensor.empty() : tensor<3x3xf32>
  %w22 = tensor.empty() : tensor<2x2xf32>
  %w23 = tensor.empty() : tensor<2x3xf32>
  %a = linalg.pooling_nhwc_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w33 : tensor<2x9x11x3xf32>, tensor<3x3xf32>) outs(%lo : tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
  %b = linalg.pooling_nhwc_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w22 : tensor<2x9x11x3xf32>, tensor<2x2xf32>) outs(%z : tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
  %c = linalg.pooling_nhwc_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w23 : tensor<2x9x11x3xf32>, tensor<2x3xf32>) outs(%lo : tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
  %ab = linalg.add ins(%a, %b : tensor<2x4x5x3xf32>, tensor<2x4x5x3xf32>) outs(%e : tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
  %abc = linalg.add ins(%ab, %c : tensor<2x4x5x3xf32>, tensor<2x4x5x3xf32>) outs(%e : tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
  return %abc : tensor<2x4x5x3xf32>
}
