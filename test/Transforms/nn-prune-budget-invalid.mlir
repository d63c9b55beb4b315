// RUN: prune-opt %s -split-input-file --nn-prune=budget-latency=0.5 -verify-diagnostics -o /dev/null
// RUN: prune-opt %s -split-input-file --nn-prune=budget-bytes=0.5 -verify-diagnostics -o /dev/null

// A budget predicts the cost of the kernels nn-sparsify makes of linalg
// contractions; a TOSA op keeps its weight a dense constant, so a budget on
// a TOSA model is an error (it crashed, found by prune-fuzz).
func.func @tosa_conv(%x: tensor<1x4x4x3xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error@+1 {{predicts the cost of sparse kernels, but weight 'w0' is read by 'tosa.conv2d', a TOSA op; convert the model to linalg first (--nn-tosa-to-linalg)}}
  %w = "tosa.const"() {values = dense<[[[[1.5, -0.2, 0.7]]], [[[-3.0, 0.4, 2.5]]]]> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

func.func @tosa_matmul(%x: tensor<1x2x4xf32>) -> tensor<1x2x3xf32> {
  // expected-error@+1 {{but weight 'w0' is read by 'tosa.matmul'}}
  %w = "tosa.const"() {values = dense<[[[1.0, -2.0, 0.5], [4.0, -3.0, 1.0], [2.0, -0.25, 0.1], [5.0, -1.0, 2.0]]]> : tensor<1x4x3xf32>} : () -> tensor<1x4x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w, %zp, %zp : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}
