// prune-fuzz seed: test/Integration/Inputs/two-layer.mlir after
// --nn-calibrate=entry=mlp inputs=x2.npy (nn.calib blobs), so that the
// data-aware criteria (obd, wanda, sparsegpt, obs, refit) are reached.
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d1)>
module {
  func.func @mlp(%arg0: tensor<1x4xf32>) -> tensor<1x2xf32> {
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant {nn.calib = {act_entropy = dense_resource<w0_act_entropy> : tensor<3xf64>, act_mean = dense_resource<w0_act_mean> : tensor<3xf64>, act_zeros = dense_resource<w0_act_zeros> : tensor<3xf64>, gram = dense_resource<w0_gram> : tensor<4x4xf64>, rows = 2 : i64, samples = 2 : i64}} dense<[[1.000000e+00, -2.000000e+00, 5.000000e-01, 4.000000e+00], [-3.000000e+00, 1.000000e+00, 2.000000e+00, -2.500000e-01], [1.000000e-01, 5.000000e+00, -1.000000e+00, 2.000000e+00]]> : tensor<3x4xf32>
    %cst_1 = arith.constant dense<[5.000000e-01, -1.000000e+01, 1.000000e+00]> : tensor<3xf32>
    %cst_2 = arith.constant {nn.calib = {act_entropy = dense_resource<w1_act_entropy> : tensor<2xf64>, act_mean = dense_resource<w1_act_mean> : tensor<2xf64>, act_zeros = dense_resource<w1_act_zeros> : tensor<2xf64>, gram = dense_resource<w1_gram> : tensor<3x3xf64>, rows = 2 : i64, samples = 2 : i64}} dense<[[1.000000e+00, -1.000000e+00], [2.000000e+00, 5.000000e-01], [-5.000000e-01, 3.000000e+00]]> : tensor<3x2xf32>
    %0 = tensor.empty() : tensor<4x3xf32>
    %transposed = linalg.transpose ins(%cst_0 : tensor<3x4xf32>) outs(%0 : tensor<4x3xf32>) permutation = [1, 0] 
    %1 = tensor.empty() : tensor<1x3xf32>
    %2 = linalg.fill ins(%cst : f32) outs(%1 : tensor<1x3xf32>) -> tensor<1x3xf32>
    %3 = linalg.matmul ins(%arg0, %transposed : tensor<1x4xf32>, tensor<4x3xf32>) outs(%2 : tensor<1x3xf32>) -> tensor<1x3xf32>
    %4 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%3, %cst_1 : tensor<1x3xf32>, tensor<3xf32>) outs(%1 : tensor<1x3xf32>) {
    ^bb0(%in: f32, %in_3: f32, %out: f32):
      %9 = arith.addf %in, %in_3 : f32
      linalg.yield %9 : f32
    } -> tensor<1x3xf32>
    %5 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%4 : tensor<1x3xf32>) outs(%1 : tensor<1x3xf32>) {
    ^bb0(%in: f32, %out: f32):
      %9 = arith.cmpf ugt, %in, %cst : f32
      %10 = arith.select %9, %in, %cst : f32
      linalg.yield %10 : f32
    } -> tensor<1x3xf32>
    %6 = tensor.empty() : tensor<1x2xf32>
    %7 = linalg.fill ins(%cst : f32) outs(%6 : tensor<1x2xf32>) -> tensor<1x2xf32>
    %8 = linalg.matmul ins(%5, %cst_2 : tensor<1x3xf32>, tensor<3x2xf32>) outs(%7 : tensor<1x2xf32>) -> tensor<1x2xf32>
    return %8 : tensor<1x2xf32>
  }
  func.func @main() {
    %cst = arith.constant dense<[[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<1x4xf32>
    %0 = call @mlp(%cst) : (tensor<1x4xf32>) -> tensor<1x2xf32>
    %cast = tensor.cast %0 : tensor<1x2xf32> to tensor<*xf32>
    call @printMemrefF32(%cast) : (tensor<*xf32>) -> ()
    return
  }
  func.func private @printMemrefF32(tensor<*xf32>)
}

{-#
  dialect_resources: {
    builtin: {
      w0_act_entropy: "0x08000000EF39FAFE422EE63F0000000000000000EF39FAFE422EE63F",
      w0_act_mean: "0x08000000000000000080234000000000000000000000000800002140",
      w0_act_zeros: "0x080000000000000000000000000000000000F03F0000000000000000",
      w0_gram: "0x0800000000000000000000400000000000000040000000000000F03F00000000000008400000000000000040000000000000104000000000000018400000000000002040000000000000F03F00000000000018400000000000002A400000000000002C40000000000000084000000000000020400000000000002C400000000000003140",
      w1_act_entropy: "0x08000000EF39FAFE422EE63FEF39FAFE422EE63F",
      w1_act_mean: "0x080000000000000000001640000000E4CC8C3140",
      w1_act_zeros: "0x0800000000000000000000000000000000000000",
      w1_gram: "0x080000000000000000A86E400000000000000000000080A699B16E40000000000000000000000000000000000000000000000000000080A699B16E400000000000000000E47A94F851407040"
    }
  }
#-}

