// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 | FileCheck %s
// Pruning is idempotent: existing zeros count towards the target.
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-prune=sparsity=0.5 | FileCheck %s
// RUN: prune-opt %s -split-input-file --nn-prune="sparsity=0.5 scope=global" | FileCheck %s --check-prefix=GLOBAL
// RUN: prune-opt %s -split-input-file --nn-prune="sparsity=0.5 min-elements=3" | FileCheck %s --check-prefix=MINEL
// RUN: prune-opt %s -split-input-file --nn-prune="sparsity=0.5 criterion=random seed=3" | FileCheck %s --check-prefix=RANDOM

// Exactly round(0.5 * 4) = 2 zeros, the two smallest |w|; the pruned
// weight is a new dense_resource blob.
// CHECK-LABEL: func.func @one_layer
// CHECK: arith.constant {prune.decision = #prune.decision<name = "w0", criterion = magnitude, pattern = unstructured, scope = layer, sparsity = 5.000000e-01, zeros = 2, elements = 4>} dense_resource<w0_pruned> : tensor<2x2xf32>
// CHECK: w0_pruned: "0x0400000000000000000000C00000404000000000"
// RANDOM-LABEL: func.func @one_layer
// RANDOM: zeros = 2,
func.func @one_layer(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0], [3.0, -0.5]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Two layers; `scope=global` puts one threshold over both (3 of 6 zeros,
// all in the small-valued layer). Weights are named by their NameLoc.
// CHECK-LABEL: func.func @two_layers
// CHECK: prune.decision = #prune.decision<{{.*}}zeros = 2, elements = {{[0-9]+}}>} dense_resource<first_pruned> : tensor<4x1xf32>
// CHECK: prune.decision = #prune.decision<{{.*}}zeros = 1, elements = {{[0-9]+}}>} dense_resource<second_pruned> : tensor<2x1xf32>
// GLOBAL-LABEL: func.func @two_layers
// GLOBAL: prune.decision = #prune.decision<{{.*}}scope = global, sparsity = 5.000000e-01, zeros = 3, elements = {{[0-9]+}}>} dense_resource<first_pruned>
// GLOBAL: prune.decision = #prune.decision<{{.*}}scope = global, sparsity = 5.000000e-01, zeros = 0, elements = {{[0-9]+}}>} dense_resource<second_pruned>
// MINEL-LABEL: func.func @two_layers
// MINEL: prune.decision = #prune.decision<{{.*}}zeros = 2, elements = {{[0-9]+}}>} dense_resource<first_pruned>
// MINEL: arith.constant dense<{{\[}}[1.000000e+01], [2.000000e+01]]>
func.func @two_layers(%x: tensor<4xf32>, %init: tensor<1xf32>, %init2: tensor<2xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[0.1], [0.2], [0.3], [0.4]]> : tensor<4x1xf32> loc("first")
  %w2 = arith.constant dense<[[10.0], [20.0]]> : tensor<2x1xf32> loc("second")
  %y = linalg.vecmat ins(%x, %w : tensor<4xf32>, tensor<4x1xf32>) outs(%init : tensor<1xf32>) -> tensor<1xf32>
  %z = linalg.matvec ins(%w2, %y : tensor<2x1xf32>, tensor<1xf32>) outs(%init2 : tensor<2xf32>) -> tensor<2xf32>
  return %z : tensor<2xf32>
}

// -----

// Biases and constants used only elementwise are not weights.
// CHECK-LABEL: func.func @bias_only
// CHECK-NOT: prune.decision
#id = affine_map<(d0) -> (d0)>
func.func @bias_only(%x: tensor<4xf32>) -> tensor<4xf32> {
  %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%x, %b : tensor<4xf32>, tensor<4xf32>) outs(%x : tensor<4xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Two small layers: magnitude pruning of each (`only` is tested in
// nn-prune-select.mlir).
// CHECK-LABEL: func.func @only
func.func @only(%x: tensor<1x1xf32>, %i1: tensor<1x2xf32>, %i2: tensor<1x1xf32>) -> tensor<1x1xf32> {
  %w0 = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %w1 = arith.constant dense<[[3.0], [4.0]]> : tensor<2x1xf32>
  %y = linalg.matmul ins(%x, %w0 : tensor<1x1xf32>, tensor<1x2xf32>) outs(%i1 : tensor<1x2xf32>) -> tensor<1x2xf32>
  %z = linalg.matmul ins(%y, %w1 : tensor<1x2xf32>, tensor<2x1xf32>) outs(%i2 : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %z : tensor<1x1xf32>
}
