// A small CNN: strided conv, depthwise conv, 1x1 conv, residual add, ReLU.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @cnn(%x: tensor<1x3x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %z = arith.constant 0.0 : f32
  %w1 = arith.constant dense<[[[[0.0114, -0.2938, 0.3192], [-0.2427, 0.1116, -0.255], [-1.1234, -0.0157, 0.1011]], [[0.3772, -0.438, -0.0165], [0.3086, 0.0727, 0.6212], [0.9958, -0.4543, -0.9605]], [[0.4283, 0.7647, 0.4612], [0.407, -0.3093, -0.3568], [0.4442, -0.4558, -0.9067]]], [[[-0.4988, 1.2461, 0.9617], [-0.3432, -0.3645, 0.1157], [-0.3747, 0.655, -0.0392]], [[-0.5432, 0.6544, -0.2916], [0.1106, -0.0063, -0.1572], [0.1625, -0.3462, -0.9222]], [[-1.104, -0.6333, -0.3792], [-0.0115, 0.0276, 0.278], [0.0599, -0.3967, -0.3544]]], [[[-1.0594, -0.0846, 0.2424], [0.2648, -0.0607, -0.0871], [0.4681, 0.0077, 0.3689]], [[0.2913, 0.1066, 0.6532], [-0.2863, -0.1794, -0.404], [-0.3986, 0.778, 0.8797]], [[0.0115, 0.2841, 0.5877], [0.4037, 0.6027, -0.6315], [-0.3197, 0.2263, 0.7177]]], [[[0.0519, -0.4292, -0.1773], [-0.3303, -0.4292, 0.7506], [-0.3128, 0.0102, 1.0812]], [[0.5924, 0.1681, -0.3059], [0.2052, 0.8108, 0.3115], [0.6308, 0.049, 0.2581]], [[-0.1005, 0.2134, 0.6502], [-0.7156, -0.0313, 0.1201], [-0.2855, -0.154, 0.3935]]]]> : tensor<4x3x3x3xf32>
  %wd = arith.constant dense<[[[1.0008, 0.3147, 0.1631], [-0.7757, 0.9638, 0.0385], [-0.0169, -0.5592, -0.0284]], [[-0.5481, 0.0355, 0.2332], [0.0156, 0.1398, -0.4259], [0.7149, -0.3266, -0.9092]], [[-0.0938, -0.3819, -0.5049], [-0.1774, 0.1456, -0.5909], [-0.0688, 0.7134, 0.3414]], [[-0.076, 0.0639, -0.0599], [-0.0239, 0.3662, -0.0463], [-1.2022, -0.0108, -0.4447]]]> : tensor<4x3x3xf32>
  %w2 = arith.constant dense<[[[[0.3256]], [[-0.3052]], [[0.0742]], [[1.0886]]], [[[-0.5234]], [[-0.5623]], [[-0.7058]], [[-1.1974]]], [[[-0.9392]], [[0.1823]], [[-0.319]], [[-0.9341]]], [[[-0.7413]], [[0.3086]], [[-0.3876]], [[-0.1834]]]]> : tensor<4x4x1x1xf32>
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %z : f32
  } : tensor<1x3x8x8xf32> to tensor<1x3x10x10xf32>
  %e1 = tensor.empty() : tensor<1x4x4x4xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  // strided 3x3 conv, 3 -> 4 channels, 10x10 -> 4x4
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%xp, %w1 : tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%f1 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %r1 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<1x4x4x4xf32>) outs(%e1 : tensor<1x4x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x4xf32>
  // depthwise 3x3 (padded), per channel
  %rp = tensor.pad %r1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %z : f32
  } : tensor<1x4x4x4xf32> to tensor<1x4x6x6xf32>
  %cd = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%rp, %wd : tensor<1x4x6x6xf32>, tensor<4x3x3xf32>) outs(%f1 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  // 1x1 conv, then the residual add and ReLU
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%cd, %w2 : tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) outs(%f1 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %y = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c2, %r1 : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) outs(%e1 : tensor<1x4x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}
