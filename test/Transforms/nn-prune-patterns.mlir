// RUN: prune-opt %s -split-input-file --nn-prune="pattern=nm n=2 m=4" | FileCheck %s --check-prefix=NM
// RUN: prune-opt %s -split-input-file --nn-prune="pattern=block block=2x2 sparsity=0.5" | FileCheck %s --check-prefix=BLOCK
// RUN: prune-opt %s -split-input-file --nn-prune="pattern=channel sparsity=0.5" | FileCheck %s --check-prefix=CHANNEL

// torch-style W[out=2, in=8]: N:M groups run along `in`. Row 0
// [1,2,3,4 | 8,7,6,5] keeps [3,4 | 8,7]; row 1 [-1,5,-2,6 | 0,0,1,0] keeps
// [5,6 | 1,0].
// NM-LABEL: func.func @torch_linear
// NM: prune.decision = #prune.decision<name = "w0", criterion = magnitude, pattern = nm, n = 2, m = 4, scope = layer, sparsity = 5.000000e-01, zeros = 9, elements = 16>
// NM: w0_pruned: "0x0400000000000000000000000000404000008040000000410000E0400000000000000000000000000000A040000000000000C04000000000000000000000803F00000000"
// Blocks of 2x2 over W[out, in]: [[1,2],[-1,5]] (mean square 7.75),
// [[3,4],[-2,6]] (16.25), [[8,7],[0,0]] (28.25), [[6,5],[1,0]] (15.5): the
// two lowest go.
// BLOCK-LABEL: func.func @torch_linear
// BLOCK: name = "w0", criterion = magnitude, pattern = block, block_rows = 2, block_cols = 2, scope = layer, sparsity = 5.000000e-01, zeros = 10, elements = 16>
// BLOCK: w0_pruned: "0x0400000000000000000000000000404000008040000000410000E04000000000000000000000000000000000000000C00000C04000000000000000000000000000000000"
// Whole outputs: row 0 (mean square 25.5) stays, row 1 (8.375) goes.
// CHANNEL-LABEL: func.func @torch_linear
// CHANNEL: name = "w0", {{.*}}pattern = channel, scope = layer, sparsity = 5.000000e-01, zeros = 8,
// CHANNEL: w0_pruned: "0x040000000000803F000000400000404000008040000000410000E0400000C0400000A0400000000000000000000000000000000000000000000000000000000000000000"
func.func @torch_linear(%x: tensor<1x8xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 8.0, 7.0, 6.0, 5.0], [-1.0, 5.0, -2.0, 6.0, 0.0, 0.0, 1.0, 0.0]]> : tensor<2x8xf32>
  %e = tensor.empty() : tensor<8x2xf32>
  %t = linalg.transpose ins(%w : tensor<2x8xf32>) outs(%e : tensor<8x2xf32>) permutation = [1, 0]
  %y = linalg.matmul ins(%x, %t : tensor<1x8xf32>, tensor<8x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// keras-style W[in=4, out=2] (no transpose): groups run down dim 0. Column 0
// [4,1,3,2] keeps [4,3]; column 1 [0.5,-0.25,2,-8] keeps [2,-8].
// NM-LABEL: func.func @keras_dense
// NM: zeros = 4,
// NM: w0_pruned: "0x0400000000008040000000000000000000000000000040400000004000000000000000C1"
// Outputs of keras W[in, out] are its columns: column 0 (mean square 7.5)
// goes. A conv filter F=4 x (C*KH*KW = 4): filters 1 (0.075) and 3 (1) go.
// CHANNEL-LABEL: func.func @keras_dense
// CHANNEL: name = "w0", {{.*}}pattern = channel{{.*}}zeros = 4,
// CHANNEL: name = "w1", {{.*}}pattern = channel{{.*}}zeros = 8,
// CHANNEL: w0_pruned: "0x04000000000000000000003F00000000000080BE000000000000004000000000000000C1"
// CHANNEL: w1_pruned: "0x040000000000803F000000400000404000008040000000000000000000000000000000000000A0400000C0400000E0400000004100000000000000000000000000000000"
func.func @keras_dense(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[4.0, 0.5], [1.0, -0.25], [3.0, 2.0], [2.0, -8.0]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
func.func @conv(%x: tensor<1x1x3x3xf32>, %init: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %f = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]], [[[0.1, 0.2], [0.3, 0.4]]], [[[5.0, 6.0], [7.0, 8.0]]], [[[-1.0, 1.0], [-1.0, 1.0]]]]> : tensor<4x1x2x2xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<1x1x3x3xf32>, tensor<4x1x2x2xf32>) outs(%init : tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}
