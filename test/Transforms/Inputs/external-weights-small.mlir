// A 4x3 f32 weight named w (1..12) for the external-weights tests.
func.func @f() -> tensor<4x3xf32> {
  %w = arith.constant dense_resource<w> : tensor<4x3xf32>
  return %w : tensor<4x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041"
    }
  }
#-}
