// budget-bytes is a fraction of the whole model's bytes: the constants that
// are not weights (here the 4 x f32 bias, 16 bytes) count on both sides;
// a splat (the 4 x f32 ones, a fill) is no parameter and counts nothing.
// Dense: the weight's 128 bytes + 16 = 144 (160 if the splat counted); the
// plan with f32 values: the weight at 80 % as csr (50 bytes) + 16; with
// every value type (the default): the weight dense in i8 (32 bytes and a
// scale per row: 48) + 16.
// RUN: prune-opt %s "--nn-prune=budget-bytes=0.5 budget-value-types=f32" -o /dev/null 2>&1 | FileCheck %s
// CHECK: remark: nn-prune: budget-bytes=0.5: predicted 66 of the dense 144 bytes (45.8%, 16 bytes of it in other constants)
// RUN: prune-opt %s --nn-prune=budget-bytes=0.5 -o - 2>&1 | FileCheck %s --check-prefix=ALL
// ALL: remark: nn-prune: budget-bytes=0.5: predicted 64 of the dense 144 bytes (44.4%, 16 bytes of it in other constants)
// ALL: sparsity = 0.000000e+00, {{.*}}predicted_bytes = 48, value_type = i8>

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @fc(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0],
                             [0.5, -1.5, 2.5, -3.5, 4.5, -5.5, 6.5, -7.5],
                             [8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
                             [-1.0, 2.0, -3.0, 4.0, -5.0, 6.0, -7.0, 8.0]]> : tensor<4x8xf32>
  %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %ones = arith.constant dense<1.0> : tensor<4xf32>
  %e = tensor.empty() : tensor<1x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %m = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                      affine_map<(d0, d1, d2) -> (d1, d2)>,
                                      affine_map<(d0, d1, d2) -> (d0, d1)>]
       ins(%x, %w : tensor<1x8xf32>, tensor<4x8xf32>) outs(%f : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%m, %b, %ones : tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<1x4xf32>) {
  ^bb0(%a: f32, %c: f32, %d: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %t = arith.mulf %s, %d : f32
    linalg.yield %t : f32
  } -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
