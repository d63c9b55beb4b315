// Small extra seeds for prune-fuzz (make-corpus.py): element types, ops and
// shapes the test suite has few of. One function per chunk.
func.func @f16(%x: tensor<2x4xf16>, %i: tensor<2x4xf16>) -> tensor<2x4xf16> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, 0.5], [1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4], [5.0, 6.0, 7.0, 8.0]]> : tensor<4x4xf16>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf16>, tensor<4x4xf16>) outs(%i : tensor<2x4xf16>) -> tensor<2x4xf16>
  return %y : tensor<2x4xf16>
}

// -----

func.func @bf16(%x: tensor<2x4xbf16>, %i: tensor<2x4xbf16>) -> tensor<2x4xbf16> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, 0.5], [1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4], [5.0, 6.0, 7.0, 8.0]]> : tensor<4x4xbf16>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xbf16>, tensor<4x4xbf16>) outs(%i : tensor<2x4xbf16>) -> tensor<2x4xbf16>
  return %y : tensor<2x4xbf16>
}

// -----

func.func @f64(%x: tensor<2x4xf64>, %i: tensor<2x4xf64>) -> tensor<2x4xf64> {
  %w = arith.constant dense<1.5> : tensor<4x4xf64>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf64>, tensor<4x4xf64>) outs(%i : tensor<2x4xf64>) -> tensor<2x4xf64>
  return %y : tensor<2x4xf64>
}

// -----

func.func @mv(%x: tensor<4xf32>, %i: tensor<3xf32>) -> tensor<3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, 0.5], [1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4]]> : tensor<3x4xf32>
  %y = linalg.matvec ins(%w, %x : tensor<3x4xf32>, tensor<4xf32>) outs(%i : tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @dyn(%x: tensor<?x4xf32>, %i: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, 0.5], [1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4], [5.0, 6.0, 7.0, 8.0]]> : tensor<4x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%i : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func @bmm(%x: tensor<2x3x4xf32>, %i: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<2x4x4xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x3x4xf32>, tensor<2x4x4xf32>) outs(%i : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

func.func @conv(%x: tensor<1x2x5x5xf32>, %i: tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32> {
  %w = arith.constant dense<0.25> : tensor<3x2x2x2xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x2x5x5xf32>, tensor<3x2x2x2xf32>) outs(%i : tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}

// -----

func.func @dw(%x: tensor<1x5x5x3xf32>, %i: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %w = arith.constant dense<[[[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]], [[1.0, 2.0, -3.0], [4.0, 2.0, 3.0]]]> : tensor<2x2x3xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x5x5x3xf32>, tensor<2x2x3xf32>) outs(%i : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  return %y : tensor<1x4x4x3xf32>
}

