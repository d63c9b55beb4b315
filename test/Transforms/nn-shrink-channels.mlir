// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir --nn-fold-weight-transposes \
// RUN:   "--nn-prune=pattern=channel sparsity=0.34" --nn-shrink-channels 2>&1 | FileCheck %s
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir --nn-fold-weight-transposes \
// RUN:   "--nn-prune=pattern=channel sparsity=0.34" "--nn-shrink-channels=zero-only=true" 2>&1 | FileCheck %s --check-prefix=ZERO
// The shrunk model equals the masked model with the removed channels zeroed.
// RUN: prune-run %S/../Integration/Inputs/two-layer.mlir --entry=mlp --inputs=%S/../Integration/Inputs/x2.npy \
// RUN:   --pipeline="nn-fold-weight-transposes,nn-prune{pattern=channel sparsity=0.34},nn-shrink-channels{zero-only=true}" \
// RUN:   --compare-pipeline="nn-fold-weight-transposes,nn-prune{pattern=channel sparsity=0.34},nn-shrink-channels" \
// RUN:   --tolerance=0 | FileCheck %s --check-prefix=EQUAL

// Layer 1 (W1^T [4 in, 3 out]) loses its weakest output: the matmul, the
// bias (sliced), the ReLU and layer 2's inputs all go from 3 to 2 channels.
// Layer 2 feeds the function result: it keeps its shape, with a remark.
// CHECK: remark: nn-shrink-channels: weight 'w1' keeps its shape: its output reaches 'func.return'
// CHECK-LABEL: func.func @mlp
// CHECK: %[[W1:.*]] = arith.constant {prune.decision = {{.*}}} dense_resource<{{.*}}> : tensor<4x2xf32>
// CHECK: %[[B1:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2xf32>
// CHECK: %[[W2:.*]] = arith.constant {prune.decision = {{.*}}} dense_resource<{{.*}}> : tensor<2x2xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[W1]] : tensor<1x4xf32>, tensor<4x2xf32>) outs(%{{.*}} : tensor<1x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[B1]] : tensor<1x2xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<1x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2xf32>) outs(%{{.*}} : tensor<1x2xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %[[W2]] : tensor<1x2xf32>, tensor<2x2xf32>)
// CHECK-NOT: tensor<3xf32>
// CHECK-NOT: tensor<1x3xf32>
// ZERO-LABEL: func.func @mlp
// ZERO: tensor<3xf32>
// ZERO: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x4xf32>, tensor<4x3xf32>)
// EQUAL: [A] parameters as stored: 100 B
// EQUAL: [B] parameters as stored: 72 B
// EQUAL: [B vs A] max-abs-diff 0.000e+00
