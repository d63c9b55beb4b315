// Convolutions for nn-lower-kernels' in-place path (test/Integration/conv-in-place.test):
// A (3x3, unit strides, bias init + ReLU) and B (2x2, dilation [2, 1]) read
// their input in place when their filter is csr; C (stride 2) uses im2col.
func.func @convs(%x: tensor<1x2x9x10xf32>) -> tensor<1x2x2x3xf32> {
  %z = arith.constant 0.0 : f32
  %wa = arith.constant dense<[[[[-0.7429, -0.0014, 0.203], [-0.9426, -0.7041, 0.8564], [-0.8592, -0.7405, 0.8967]], [[0.2438, -0.262, 0.0228], [0.3257, -0.4494, -0.7241], [0.5761, 0.3407, 0.0248]]], [[[0.6335, 0.0982, 0.9618], [-0.591, 0.1075, -0.0328], [-0.2935, 0.1832, -0.5294]], [[0.6044, 0.7347, -0.7425], [-0.0659, -0.4457, -0.8338], [0.7919, -0.1401, -0.7046]]], [[[0.3467, -0.5956, 0.8029], [-0.5657, -0.9339, -0.5985], [-0.3085, -0.0622, 0.8123]], [[0.3947, -0.3214, -0.9662], [-0.6804, 0.9929, -0.0806], [0.3821, -0.8907, -0.9319]]], [[[0.6918, 0.1758, -0.3826], [-0.3652, -0.8215, -0.6547], [-0.9508, 0.6782, -0.0674]], [[-0.7456, 0.4785, -0.6087], [-0.8762, 0.1968, 0.7915], [-0.9461, 0.6103, -0.6197]]]]> : tensor<4x2x3x3xf32>
  %ba = arith.constant dense<[-0.8142, -0.9641, -0.414, 0.4542]> : tensor<4xf32>
  %wb = arith.constant dense<[[[[-0.0136, 0.7058], [-0.5656, -0.3696]], [[-0.4837, 0.9566], [0.882, -0.3186]], [[-0.128, -0.3714], [0.493, -0.92]], [[-0.8651, -0.1919], [-0.5098, 0.6904]]], [[[0.4836, 0.0916], [0.323, 0.3846]], [[0.5621, 0.855], [-0.7005, 0.2523]], [[-0.7128, -0.1137], [0.5726, 0.7894]], [[0.5185, -0.9292], [-0.2812, -0.6739]]], [[[0.9976, -0.712], [-0.5114, -0.2856]], [[-0.8782, 0.7408], [0.2727, -0.6805]], [[-0.0035, -0.8427], [0.222, -0.5367]], [[-0.9227, -0.7695], [0.1105, 0.274]]]]> : tensor<3x4x2x2xf32>
  %wc = arith.constant dense<[[[[-0.3504, 0.2869, -0.2959], [-0.7387, -0.3696, -0.2095], [0.8253, -0.7687, -0.8277]], [[0.123, 0.9268, 0.8145], [0.4005, -0.8665, 0.6128], [0.3667, -0.7121, -0.0701]], [[-0.9014, 0.6038, 0.4373], [0.6093, 0.5208, -0.4655], [0.5795, -0.5017, -0.7242]]], [[[-0.2192, -0.0043, -0.4284], [0.2116, 0.205, -0.5204], [0.2451, -0.2855, 0.4694]], [[-0.4192, 0.5976, -0.1698], [0.1065, 0.3467, 0.0368], [-0.4848, 0.9588, -0.8079]], [[-0.3502, 0.0982, -0.9426], [-0.6902, 0.5985, 0.5676], [0.2739, 0.8036, 0.511]]]]> : tensor<2x3x3x3xf32>
  %ea = tensor.empty() : tensor<1x4x7x8xf32>
  %bb = linalg.broadcast ins(%ba : tensor<4xf32>) outs(%ea : tensor<1x4x7x8xf32>) dimensions = [0, 2, 3]
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %wa : tensor<1x2x9x10xf32>, tensor<4x2x3x3xf32>) outs(%bb : tensor<1x4x7x8xf32>) -> tensor<1x4x7x8xf32>
  %ra = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%a : tensor<1x4x7x8xf32>) outs(%ea : tensor<1x4x7x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.cmpf ugt, %in, %z : f32
    %s = arith.select %c, %in, %z : f32
    linalg.yield %s : f32
  } -> tensor<1x4x7x8xf32>
  %eb = tensor.empty() : tensor<1x3x5x7xf32>
  %fb = linalg.fill ins(%z : f32) outs(%eb : tensor<1x3x5x7xf32>) -> tensor<1x3x5x7xf32>
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<[2, 1]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%ra, %wb : tensor<1x4x7x8xf32>, tensor<3x4x2x2xf32>) outs(%fb : tensor<1x3x5x7xf32>) -> tensor<1x3x5x7xf32>
  %ec = tensor.empty() : tensor<1x2x2x3xf32>
  %fc = linalg.fill ins(%z : f32) outs(%ec : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%b, %wc : tensor<1x3x5x7xf32>, tensor<2x3x3x3xf32>) outs(%fc : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  return %c : tensor<1x2x2x3xf32>
}
