// A hex resource blob whose first four bytes (its alignment) are 0.
func.func @f() -> tensor<2xf32> {
  %c = arith.constant dense_resource<blob0> : tensor<2xf32>
  return %c : tensor<2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      blob0: "0x000000000000803F00000040"
    }
  }
#-}
