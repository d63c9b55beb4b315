// A TOSA model (see test/Integration/frontend-forms.test).
// y = conv1x1(relu(x W1^T + b1), W2) + b2 in TOSA: W1 reaches tosa.matmul
// through tosa.transpose and tosa.reshape (torch-mlir's linear), W2 is the
// [OC, KH, KW, IC] weight of a 1x1 tosa.conv2d.
func.func @main(%x: tensor<1x1x4xf32>) -> tensor<1x1x2xf32> {
  %w1 = "tosa.const"() {values = dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 1.0, 2.0, -0.25], [0.1, 5.0, -1.0, 2.0]]> : tensor<3x4xf32>} : () -> tensor<3x4xf32>
  %b1 = "tosa.const"() {values = dense<[[[0.5, -10.0, 1.0]]]> : tensor<1x1x3xf32>} : () -> tensor<1x1x3xf32>
  %w2 = "tosa.const"() {values = dense<[[[[1.5, -0.2, 0.7]]], [[[-3.0, 0.4, 2.5]]]]> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %b2 = "tosa.const"() {values = dense<[0.1, -0.2]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %t = tosa.transpose %w1 {perms = array<i32: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %s3 = tosa.const_shape {values = dense<[1, 4, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %t, %s3 : (tensor<4x3xf32>, !tosa.shape<3>) -> tensor<1x4x3xf32>
  %m = tosa.matmul %x, %r, %zp, %zp : (tensor<1x1x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %a = tosa.add %m, %b1 : (tensor<1x1x3xf32>, tensor<1x1x3xf32>) -> tensor<1x1x3xf32>
  %h = tosa.clamp %a {min_val = 0.0 : f32, max_val = 3.0e38 : f32} : (tensor<1x1x3xf32>) -> tensor<1x1x3xf32>
  %s4 = tosa.const_shape {values = dense<[1, 1, 1, 3]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %h4 = tosa.reshape %h, %s4 : (tensor<1x1x3xf32>, !tosa.shape<4>) -> tensor<1x1x1x3xf32>
  %c = tosa.conv2d %h4, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %so = tosa.const_shape {values = dense<[1, 1, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %y = tosa.reshape %c, %so : (tensor<1x1x1x2xf32>, !tosa.shape<3>) -> tensor<1x1x2xf32>
  return %y : tensor<1x1x2xf32>
}
