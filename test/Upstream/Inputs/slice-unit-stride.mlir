// An RNN-style loop reading its step's input with a strided size-1 slice
// (found by prune-fuzz): bufferized, the slice becomes the subview of
// subview-unit-stride.mlir.
func.func @steps(%xs: tensor<5x1x6xf32>, %w: tensor<6x8xf32>) -> tensor<1x8xf32> {
  %z = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %e = tensor.empty() : tensor<1x8xf32>
  %h0 = linalg.fill ins(%z : f32) outs(%e : tensor<1x8xf32>) -> tensor<1x8xf32>
  %h = scf.for %t = %c0 to %c5 step %c1 iter_args(%hc = %h0) -> (tensor<1x8xf32>) {
    %xt = tensor.extract_slice %xs[%t, 0, 0] [1, 1, 6] [17, 1, 1] : tensor<5x1x6xf32> to tensor<1x6xf32>
    %a = linalg.matmul ins(%xt, %w : tensor<1x6xf32>, tensor<6x8xf32>) outs(%hc : tensor<1x8xf32>) -> tensor<1x8xf32>
    scf.yield %a : tensor<1x8xf32>
  }
  return %h : tensor<1x8xf32>
}
