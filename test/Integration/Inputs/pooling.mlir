// NCHW poolings nn-vectorize-pooling rewrites (test/Integration/pooling.test):
// max 3x3 stride 2 (overlapping windows), sum 2x2 stride 2, max 2x3
// stride 2, summed; 2 images, 3 channels, 9x11, odd widths.
func.func @pools(%x: tensor<2x3x9x11xf32>) -> tensor<2x3x4x5xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x4x5xf32>
  %lo = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %w33 = tensor.empty() : tensor<3x3xf32>
  %w22 = tensor.empty() : tensor<2x2xf32>
  %w23 = tensor.empty() : tensor<2x3xf32>
  %a = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w33 : tensor<2x3x9x11xf32>, tensor<3x3xf32>) outs(%lo : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %b = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w22 : tensor<2x3x9x11xf32>, tensor<2x2xf32>) outs(%z : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %c = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w23 : tensor<2x3x9x11xf32>, tensor<2x3xf32>) outs(%lo : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %ab = linalg.add ins(%a, %b : tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) outs(%e : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %abc = linalg.add ins(%ab, %c : tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) outs(%e : tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  return %abc : tensor<2x3x4x5xf32>
}
