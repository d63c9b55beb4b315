// A single-head self-attention block over 4 tokens of width 8: Q/K/V/O
// projections are weights (torch-style W[out, in] behind transposes);
// QK^T and softmax(.)V are batch_matmul/matmul of activations.
#id = affine_map<(d0, d1) -> (d0, d1)>
#red = affine_map<(d0, d1) -> (d0)>
#bc = affine_map<(d0, d1) -> (d0)>
func.func @attention(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %z = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.35355339 : f32
  %wq = arith.constant dense<[[0.2767, -0.2435, 0.152, 0.3954, -0.2794, -0.9219, 0.1643, 0.2404], [0.0068, 0.4446, -0.2933, -0.0411, -0.1526, 0.2857, 0.7978, -0.1256], [1.0275, 0.7645, 0.3953, 0.2935, 0.8854, -0.0903, -0.056, -0.5313], [0.2364, 0.6724, 0.2662, 0.2115, -0.1004, 0.0848, -0.7125, 0.5244], [-0.205, -0.5523, -0.3757, -0.4123, 0.4276, 0.5291, -0.6789, 0.4631], [0.444, -0.2897, -0.7433, -0.3727, -0.3169, 0.1712, -0.1788, -1.0141], [0.1168, -0.7671, 0.4527, -0.6034, -0.3465, -0.4271, -0.2713, 0.649], [0.426, 0.3009, 0.1596, -0.7739, -0.2603, -0.2759, -0.4887, 0.2545]]> : tensor<8x8xf32>
  %wk = arith.constant dense<[[-0.3705, -0.3549, -0.5222, -1.0288, 0.2976, 0.6654, 0.0874, -0.4883], [-1.3526, 0.0865, 0.6081, 0.1486, 0.4636, 0.7391, 0.5634, -0.2207], [0.5262, 0.3878, -0.7685, -0.2027, -0.7119, -0.0546, 0.2891, -0.534], [-1.0279, 0.6492, 0.1884, 0.7356, -0.6618, 0.5303, 1.037, 1.0036], [-0.105, 0.1346, -0.077, 0.4992, 0.5189, 0.0435, -0.6795, 0.3705], [-0.2349, 0.3144, 0.1316, 0.8118, 0.5688, -0.2255, 0.1745, 0.882], [-0.2686, 0.2167, 0.5954, 0.6284, 0.2593, -0.6601, -0.6305, 0.1237], [0.1937, 1.2739, -0.4307, 0.5689, 0.3852, -0.8358, -0.4091, 0.0831]]> : tensor<8x8xf32>
  %wv = arith.constant dense<[[-0.2468, -0.0772, 0.2351, -0.4047, 0.2332, -0.3181, -0.2723, 0.2684], [-0.2867, 0.1436, 0.7997, 0.0135, -0.073, 0.3676, -0.1828, 0.5414], [-0.6414, 0.3093, -0.256, -0.3994, 0.8848, -0.4251, 0.8784, 0.3291], [0.7265, -0.4884, 0.5995, 0.7284, -0.0582, -0.0645, 1.228, 0.0887], [-0.2113, -0.315, 0.2229, 0.1652, 0.0888, 0.8607, -0.1639, 0.2366], [0.7296, -0.502, 0.5193, 0.916, -0.6774, -0.5488, -0.5192, -0.9231], [0.2264, -0.9281, 0.2494, 0.7266, -0.8076, -0.1582, -0.959, 0.3896], [-0.3687, -0.1329, 0.0272, 0.2726, -0.1734, 0.0075, -0.2733, 0.0573]]> : tensor<8x8xf32>
  %wo = arith.constant dense<[[-0.5863, 0.0318, -0.9661, -0.2451, 0.9577, 0.0398, -0.63, 0.1286], [-0.4862, -0.8256, -0.3682, 0.3684, 0.1919, -0.0485, -0.4633, -0.5393], [0.6749, 0.1223, -0.4759, -1.0555, -0.685, 1.2376, -0.5745, -0.0384], [0.105, -0.0788, -0.1391, -0.6866, -0.5255, 0.8444, -0.3782, 0.4227], [-0.8469, -0.1371, 0.1306, 0.5183, -0.5613, 0.2977, 0.193, -0.3688], [0.2386, -0.449, -0.398, -0.0094, -1.357, -0.0548, -0.5, -0.7314], [-0.2125, 0.3815, -0.2022, 0.6329, -0.5798, -0.6562, 0.7756, 0.1994], [0.4725, -0.4134, 0.4022, 0.1298, 0.3243, 0.0127, 0.6031, -0.3246]]> : tensor<8x8xf32>
  %et = tensor.empty() : tensor<8x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %wqt = linalg.transpose ins(%wq : tensor<8x8xf32>) outs(%et : tensor<8x8xf32>) permutation = [1, 0]
  %wkt = linalg.transpose ins(%wk : tensor<8x8xf32>) outs(%et : tensor<8x8xf32>) permutation = [1, 0]
  %wvt = linalg.transpose ins(%wv : tensor<8x8xf32>) outs(%et : tensor<8x8xf32>) permutation = [1, 0]
  %wot = linalg.transpose ins(%wo : tensor<8x8xf32>) outs(%et : tensor<8x8xf32>) permutation = [1, 0]
  %q = linalg.matmul ins(%x, %wqt : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %k = linalg.matmul ins(%x, %wkt : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %v = linalg.matmul ins(%x, %wvt : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  // scores = Q K^T * scale, as a batch_matmul with batch 1
  %q3 = tensor.expand_shape %q [[0, 1], [2]] output_shape [1, 4, 8] : tensor<4x8xf32> into tensor<1x4x8xf32>
  %ek = tensor.empty() : tensor<8x4xf32>
  %kt = linalg.transpose ins(%k : tensor<4x8xf32>) outs(%ek : tensor<8x4xf32>) permutation = [1, 0]
  %kt3 = tensor.expand_shape %kt [[0, 1], [2]] output_shape [1, 8, 4] : tensor<8x4xf32> into tensor<1x8x4xf32>
  %es = tensor.empty() : tensor<1x4x4xf32>
  %fs = linalg.fill ins(%z : f32) outs(%es : tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %s3 = linalg.batch_matmul ins(%q3, %kt3 : tensor<1x4x8xf32>, tensor<1x8x4xf32>) outs(%fs : tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %s = tensor.collapse_shape %s3 [[0, 1], [2]] : tensor<1x4x4xf32> into tensor<4x4xf32>
  // softmax over the last dim
  %e4 = tensor.empty() : tensor<4xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %mx = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "reduction"]} ins(%s : tensor<4x4xf32>) outs(%m0 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e44 = tensor.empty() : tensor<4x4xf32>
  %ex = linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel"]} ins(%s, %mx : tensor<4x4xf32>, tensor<4xf32>) outs(%e44 : tensor<4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %sc = arith.mulf %d, %scale : f32
    %r = math.exp %sc : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %s0 = linalg.fill ins(%z : f32) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %sm = linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "reduction"]} ins(%ex : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %p = linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel"]} ins(%ex, %sm : tensor<4x4xf32>, tensor<4xf32>) outs(%e44 : tensor<4x4xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %r = arith.divf %a, %t : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %pv = linalg.matmul ins(%p, %v : tensor<4x4xf32>, tensor<4x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.matmul ins(%pv, %wot : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
