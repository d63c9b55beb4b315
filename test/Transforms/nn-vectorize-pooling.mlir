// RUN: prune-opt %s -split-input-file --nn-vectorize-pooling | FileCheck %s
// RUN: prune-opt %s -split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(nn-vectorize-pooling))' | FileCheck %s

// Sum 2x2 stride 2: per (n, c, oh) the output row, then per window row the
// input row and its even / odd elements, added in the op's order.
// CHECK-DAG: #[[R0:.*]] = affine_map<(d0) -> (d0 * 2)>
// CHECK-DAG: #[[R1:.*]] = affine_map<(d0) -> (d0 * 2 + 1)>
// CHECK-LABEL: func.func @sum
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x6x8xf32>, %[[INIT:.*]]: tensor<1x2x3x4xf32>)
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[T0:.*]] = %[[INIT]])
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[T1:.*]] = %[[T0]])
// CHECK: scf.for %[[OH:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[T2:.*]] = %[[T1]])
// CHECK: %[[ACC:.*]] = vector.transfer_read %[[T2]][%[[N]], %[[C]], %[[OH]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<1x2x3x4xf32>, vector<4xf32>
// CHECK: %[[H0:.*]] = affine.apply #[[R0]](%[[OH]])
// CHECK: %[[ROW0:.*]] = vector.transfer_read %[[X]][%[[N]], %[[C]], %[[H0]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<1x2x6x8xf32>, vector<8xf32>
// CHECK: %[[E0:.*]] = vector.shuffle %[[ROW0]], %[[ROW0]] [0, 2, 4, 6]
// CHECK: %[[A0:.*]] = arith.addf %[[ACC]], %[[E0]] : vector<4xf32>
// CHECK: %[[O0:.*]] = vector.shuffle %[[ROW0]], %[[ROW0]] [1, 3, 5, 7]
// CHECK: %[[A1:.*]] = arith.addf %[[A0]], %[[O0]]
// CHECK: %[[H1:.*]] = affine.apply #[[R1]](%[[OH]])
// CHECK: %[[ROW1:.*]] = vector.transfer_read %[[X]][%[[N]], %[[C]], %[[H1]], %{{.*}}]
// CHECK: vector.shuffle %[[ROW1]], %[[ROW1]] [0, 2, 4, 6]
// CHECK: vector.shuffle %[[ROW1]], %[[ROW1]] [1, 3, 5, 7]
// CHECK: %[[W:.*]] = vector.transfer_write %{{.*}}, %[[T2]][%[[N]], %[[C]], %[[OH]], %{{.*}}] {in_bounds = [true]} : vector<4xf32>, tensor<1x2x3x4xf32>
// CHECK: scf.yield %[[W]]
// CHECK-NOT: linalg.pooling
func.func @sum(%x: tensor<1x2x6x8xf32>, %init: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %w = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w : tensor<1x2x6x8xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %p : tensor<1x2x3x4xf32>
}

// -----

// Max 3x3 stride (1, 2), overlapping windows: maximumf (NaN-propagating, as
// the op's body), rows oh, oh + 1, oh + 2 (the height stride is the first),
// columns kw, kw + 2, ... of each (the width stride the second).
// CHECK-DAG: #[[M0:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[M1:.*]] = affine_map<(d0) -> (d0 + 1)>
// CHECK-DAG: #[[M2:.*]] = affine_map<(d0) -> (d0 + 2)>
// CHECK-LABEL: func.func @max
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[OH:[^ ]*]] = {{.*}} iter_args
// CHECK: affine.apply #[[M0]](%[[OH]])
// CHECK-NEXT: vector.transfer_read %arg0
// CHECK-NEXT: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4] : vector<7xf32>, vector<7xf32>
// CHECK-NEXT: arith.maximumf %{{.*}}, %{{.*}} : vector<3xf32>
// CHECK-NEXT: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5]
// CHECK-NEXT: arith.maximumf
// CHECK-NEXT: vector.shuffle %{{.*}}, %{{.*}} [2, 4, 6]
// CHECK-NEXT: arith.maximumf
// CHECK-NEXT: affine.apply #[[M1]](%[[OH]])
// CHECK-NEXT: vector.transfer_read %arg0
// CHECK: affine.apply #[[M2]](%[[OH]])
// CHECK-NEXT: vector.transfer_read %arg0
// CHECK-NOT: vector.transfer_read %arg0
// CHECK-NOT: linalg.pooling
func.func @max(%x: tensor<1x1x5x7xf32>, %init: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %w = tensor.empty() : tensor<3x3xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<[1, 2]> : vector<2xi64>}
         ins(%x, %w : tensor<1x1x5x7xf32>, tensor<3x3xf32>) outs(%init : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %p : tensor<1x1x3x3xf32>
}

// -----

// NHWC max 2x2 stride (1, 2): per (n, oh, ow) the channels are one vector,
// one read per window element, in the op's order; rows oh + kh, columns
// 2 ow + kw.
// CHECK-DAG: #[[H0:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[H1:.*]] = affine_map<(d0) -> (d0 + 1)>
// CHECK-DAG: #[[S0:.*]] = affine_map<(d0) -> (d0 * 2)>
// CHECK-DAG: #[[S1:.*]] = affine_map<(d0) -> (d0 * 2 + 1)>
// CHECK-LABEL: func.func @nhwc
// CHECK: scf.for %[[N:[^ ]*]] =
// CHECK: scf.for %[[OH:[^ ]*]] =
// CHECK: scf.for %[[OW:[^ ]*]] = {{.*}} iter_args(%[[T:.*]] = %{{.*}})
// CHECK: %[[ACC:.*]] = vector.transfer_read %[[T]][%[[N]], %[[OH]], %[[OW]], %{{.*}}], {{.*}} : tensor<1x2x3x5xf32>, vector<5xf32>
// CHECK: %[[IH0:.*]] = affine.apply #[[H0]](%[[OH]])
// CHECK: %[[IW0:.*]] = affine.apply #[[S0]](%[[OW]])
// CHECK: %[[V00:.*]] = vector.transfer_read %arg0[%[[N]], %[[IH0]], %[[IW0]], %{{.*}}], {{.*}} : tensor<1x3x6x5xf32>, vector<5xf32>
// CHECK: %[[M0:.*]] = arith.maximumf %[[ACC]], %[[V00]] : vector<5xf32>
// CHECK: %[[IW1:.*]] = affine.apply #[[S1]](%[[OW]])
// CHECK: vector.transfer_read %arg0[%[[N]], %[[IH0]], %[[IW1]], %{{.*}}]
// CHECK: %[[IH1:.*]] = affine.apply #[[H1]](%[[OH]])
// CHECK-COUNT-2: vector.transfer_read %arg0[%[[N]], %[[IH1]]
// CHECK: vector.transfer_write %{{.*}}, %[[T]][%[[N]], %[[OH]], %[[OW]], %{{.*}}]
// CHECK-NOT: linalg.pooling
func.func @nhwc(%x: tensor<1x3x6x5xf32>, %init: tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32> {
  %w = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : vector<2xi64>, strides = dense<[1, 2]> : vector<2xi64>}
         ins(%x, %w : tensor<1x3x6x5xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2x3x5xf32>) -> tensor<1x2x3x5xf32>
  return %p : tensor<1x2x3x5xf32>
}

// -----

// Left alone: dilations, dynamic shapes, integers, rows (NCHW) or channels
// (NHWC) over 1024 elements, an empty output dim, a sparse input, a window
// over 64 elements (global pooling).
#CSR = #sparse_tensor.encoding<{map = (d0, d1, d2, d3) -> (d0 : dense, d1 : dense, d2 : dense, d3 : compressed)}>
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: vector.
// CHECK-COUNT-8: linalg.pooling
func.func @untouched(%x: tensor<1x1x6x6xf32>, %i1: tensor<1x1x2x2xf32>,
                     %d: tensor<1x1x?x8xf32>, %i2: tensor<1x1x?x4xf32>,
                     %xi: tensor<1x1x4x4xi32>, %i3: tensor<1x1x2x2xi32>,
                     %xl: tensor<1x1x2x2050xf32>, %i4: tensor<1x1x1x1025xf32>,
                     %xh: tensor<1x4x4x1025xf32>, %i5: tensor<1x2x2x1025xf32>,
                     %xz: tensor<1x4x4x3xf32>, %i6: tensor<1x2x2x0xf32>,
                     %xs: tensor<1x1x4x4xf32, #CSR>, %i7: tensor<1x1x2x2xf32>,
                     %xg: tensor<1x2x9x9xf32>, %i8: tensor<1x2x1x1xf32>) {
  %w = tensor.empty() : tensor<2x2xf32>
  %a = linalg.pooling_nchw_sum {dilations = dense<2> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x1x6x6xf32>, tensor<2x2xf32>) outs(%i1 : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %b = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%d, %w : tensor<1x1x?x8xf32>, tensor<2x2xf32>) outs(%i2 : tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
  %c = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%xi, %w : tensor<1x1x4x4xi32>, tensor<2x2xf32>) outs(%i3 : tensor<1x1x2x2xi32>) -> tensor<1x1x2x2xi32>
  %e = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%xl, %w : tensor<1x1x2x2050xf32>, tensor<2x2xf32>) outs(%i4 : tensor<1x1x1x1025xf32>) -> tensor<1x1x1x1025xf32>
  %f = linalg.pooling_nhwc_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%xh, %w : tensor<1x4x4x1025xf32>, tensor<2x2xf32>) outs(%i5 : tensor<1x2x2x1025xf32>) -> tensor<1x2x2x1025xf32>
  %g = linalg.pooling_nhwc_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%xz, %w : tensor<1x4x4x3xf32>, tensor<2x2xf32>) outs(%i6 : tensor<1x2x2x0xf32>) -> tensor<1x2x2x0xf32>
  %h = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%xs, %w : tensor<1x1x4x4xf32, #CSR>, tensor<2x2xf32>) outs(%i7 : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %w9 = tensor.empty() : tensor<9x9xf32>
  %k = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%xg, %w9 : tensor<1x2x9x9xf32>, tensor<9x9xf32>) outs(%i8 : tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32>
  return
}
