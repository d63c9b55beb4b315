// RUN: prune-opt %s -split-input-file --linalg-generalize-named-ops --nn-flatten-elementwise | FileCheck %s

// Two elementwise ops on 1x6x14x14: each one loop of 1176; the reshapes
// between them fold, one collapse of the input, one expand of the result.
// CHECK-LABEL: func.func @chain
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1, 2, 3]] : tensor<1x6x14x14xf32> into tensor<1176xf32>
// CHECK: %[[D:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[X]] : tensor<1176xf32>)
// CHECK: arith.divf
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[D]] : tensor<1176xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2, 3]] output_shape [1, 6, 14, 14] : tensor<1176xf32> into tensor<1x6x14x14xf32>
// CHECK-NOT: tensor.collapse_shape
#id = affine_map<(a, b, c, d) -> (a, b, c, d)>
func.func @chain(%x: tensor<1x6x14x14xf32>) -> tensor<1x6x14x14xf32> {
  %c4 = arith.constant 4.0 : f32
  %e = tensor.empty() : tensor<1x6x14x14xf32>
  %d = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
         ins(%x : tensor<1x6x14x14xf32>) outs(%e : tensor<1x6x14x14xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.divf %in, %c4 : f32
    linalg.yield %r : f32
  } -> tensor<1x6x14x14xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
         ins(%d : tensor<1x6x14x14xf32>) outs(%e : tensor<1x6x14x14xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %c4 : f32
    linalg.yield %r : f32
  } -> tensor<1x6x14x14xf32>
  return %m : tensor<1x6x14x14xf32>
}

// -----

// A fill (a scalar and the identity) is one loop too.
// CHECK-LABEL: func.func @fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<96xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [2, 3, 16] : tensor<96xf32> into tensor<2x3x16xf32>
func.func @fill(%v: f32) -> tensor<2x3x16xf32> {
  %e = tensor.empty() : tensor<2x3x16xf32>
  %f = linalg.fill ins(%v : f32) outs(%e : tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  return %f : tensor<2x3x16xf32>
}

// -----

// Left alone: a broadcast (not the identity), a reduction, a sparse
// operand, a 1-D op (one loop already), an op that reads linalg.index
// (collapsed, each would be a divide and a remainder).
#CSR = #sparse_tensor.encoding<{map = (d0, d1) -> (d0 : dense, d1 : compressed)}>
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: tensor.collapse_shape
// CHECK-NOT: tensor.expand_shape
func.func @untouched(%x: tensor<4x8xf32>, %b: tensor<8xf32>, %s: tensor<4x8xf32, #CSR>,
                     %v: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %bc = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<4x8xf32>) dimensions = [0]
  %e1 = tensor.empty() : tensor<4xf32>
  %r = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%e1 : tensor<4xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %t = arith.addf %a, %acc : f32
      linalg.yield %t : f32
    }
  %sp = linalg.add ins(%x, %s : tensor<4x8xf32>, tensor<4x8xf32, #CSR>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<8xf32>
  %n = linalg.negf ins(%v : tensor<8xf32>) outs(%e2 : tensor<8xf32>) -> tensor<8xf32>
  %ix = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]}
         outs(%e : tensor<4x8xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 1 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    linalg.yield %f : f32
  } -> tensor<4x8xf32>
  return %bc, %r, %sp, %n, %ix : tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<4x8xf32>
}
