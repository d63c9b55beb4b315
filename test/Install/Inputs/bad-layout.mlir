// A hand-written #prune.layout the dialect rejects (loaded as a plugin).
func.func @f() -> tensor<2x2xf32> {
  %w = arith.constant {prune.layout = #prune.layout<format = "csr-tiled">} dense<1.0> : tensor<2x2xf32>
  return %w : tensor<2x2xf32>
}
