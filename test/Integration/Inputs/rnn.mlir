// An Elman RNN cell unrolled over 5 steps with scf.for: the weights are used
// inside the loop body. h_t+1 = tanh(x_t Wx + h_t Wh + b).
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @rnn(%xs: tensor<5x1x6xf32>) -> tensor<1x8xf32> {
  %z = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %wx = arith.constant dense<[[0.1652, 0.6782, 0.9705, 0.5162, 0.0718, 0.0921, 0.9011, 0.7143], [-0.1553, 0.2289, 0.1435, 0.0262, -0.25, -0.6632, -0.267, -0.7721], [0.6119, 0.2683, -0.603, 0.6979, 0.4459, -0.9543, 0.9207, 0.405], [1.0321, -0.6156, 0.2654, 0.2115, 0.1009, 0.0856, 0.5267, -0.7472], [-0.621, -0.6971, -0.2788, -0.3027, 0.1837, 0.1332, 0.0157, -0.3383], [-0.221, 0.4762, 0.3818, 0.0505, -0.1613, 0.7765, -0.2971, 0.3243]]> : tensor<6x8xf32>
  %wh = arith.constant dense<[[0.3461, -0.0796, 0.2476, -0.3347, 0.3038, 0.0599, -0.476, 0.2009], [-0.2677, 0.3846, -0.2037, -0.0494, 0.0849, -0.0997, 0.0779, -0.166], [0.2015, 0.0016, 0.0633, -0.8258, 0.3484, 0.0096, -0.5348, 0.0286], [0.1402, 0.3212, -0.3248, 0.4641, -0.0478, 0.7184, -0.0439, 0.2039], [-0.11, -0.3348, 0.329, 0.2719, 0.4616, 0.2571, -0.172, -0.4987], [-0.1952, -0.2025, -0.2446, 0.1747, 0.0983, -0.0809, 0.0518, -0.0437], [0.0638, 0.2256, 0.2878, -0.2058, -0.452, 0.4282, 0.0344, 0.3317], [-0.4929, -0.099, 0.0081, -0.4324, -0.1548, 0.2173, 0.3236, 0.4782]]> : tensor<8x8xf32>
  %b = arith.constant dense<[-0.0864, -0.1401, 0.052, 0.094, 0.0193, -0.1301, 0.0782, 0.0793]> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x8xf32>
  %h0 = linalg.fill ins(%z : f32) outs(%e : tensor<1x8xf32>) -> tensor<1x8xf32>
  %h = scf.for %t = %c0 to %c5 step %c1 iter_args(%hc = %h0) -> (tensor<1x8xf32>) {
    %xt = tensor.extract_slice %xs[%t, 0, 0] [1, 1, 6] [1, 1, 1] : tensor<5x1x6xf32> to tensor<1x6xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x8xf32>) -> tensor<1x8xf32>
    %a = linalg.matmul ins(%xt, %wx : tensor<1x6xf32>, tensor<6x8xf32>) outs(%f : tensor<1x8xf32>) -> tensor<1x8xf32>
    %g = linalg.matmul ins(%hc, %wh : tensor<1x8xf32>, tensor<8x8xf32>) outs(%a : tensor<1x8xf32>) -> tensor<1x8xf32>
    %n = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%g, %b : tensor<1x8xf32>, tensor<8xf32>) outs(%e : tensor<1x8xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.addf %p, %q : f32
      %r = math.tanh %s : f32
      linalg.yield %r : f32
    } -> tensor<1x8xf32>
    scf.yield %n : tensor<1x8xf32>
  }
  return %h : tensor<1x8xf32>
}
