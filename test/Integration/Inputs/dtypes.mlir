// Mixed element types at the entry: i32 and f16 in, f64 out.
#id = affine_map<(d0) -> (d0)>
func.func @mix(%a: tensor<3xi32>, %b: tensor<3xf16>) -> tensor<3xf64> {
  %e = tensor.empty() : tensor<3xf64>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%a, %b : tensor<3xi32>, tensor<3xf16>) outs(%e : tensor<3xf64>) {
  ^bb0(%x: i32, %y: f16, %o: f64):
    %xf = arith.sitofp %x : i32 to f64
    %yf = arith.extf %y : f16 to f64
    %s = arith.addf %xf, %yf : f64
    linalg.yield %s : f64
  } -> tensor<3xf64>
  return %r : tensor<3xf64>
}
