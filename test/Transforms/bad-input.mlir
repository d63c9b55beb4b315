// Unusual weights and selections: a diagnostic with a location, never a
// crash, never a silent no-op, never a whole layer removed by accident.
// RUN: prune-opt %s -split-input-file --nn-prune="pattern=channel sparsity=0.5" --nn-sparsify -verify-diagnostics -o /dev/null

// A zero-size reduction dimension (once: division by zero in blockGroups).
// expected-warning@+2 {{nn-prune: nothing pruned: every one of the 1 weights was skipped}}
// expected-warning@+1 {{nn-sparsify: nothing to do: no weight carries a pruning decision}}
module {
func.func @zero_size(%x: tensor<1x0xf32>, %init: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-remark@+1 {{nn-prune: weight 'w0' left untouched: it has no elements}}
  %w = arith.constant dense<> : tensor<0x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x0xf32>, tensor<0x4xf32>) outs(%init : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
}

// -----

// One output: removing half of the outputs would remove all of them.
func.func @one_output(%x: tensor<1x4xf32>, %init: tensor<1x1xf32>) -> tensor<1x1xf32> {
  // expected-warning@+1 {{nn-prune: weight 'w0': the selection would remove all 1 outputs; keeping the strongest one}}
  %w = arith.constant dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x1xf32>) outs(%init : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// A weight read through tensor.cast to a dynamic shape (once:
// std::length_error in nn-sparsify): pruned, kept dense.
func.func @dynamic_view(%x: tensor<1x4xf32>, %init: tensor<1x?xf32>) -> tensor<1x?xf32> {
  // expected-remark@+1 {{nn-sparsify: weight 'w0' kept dense: a consumer reads it with a dynamic shape}}
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %wc = tensor.cast %w : tensor<4x2xf32> to tensor<?x?xf32>
  %y = linalg.matmul ins(%x, %wc : tensor<1x4xf32>, tensor<?x?xf32>) outs(%init : tensor<1x?xf32>) -> tensor<1x?xf32>
  return %y : tensor<1x?xf32>
}

// -----

// Weights passed in as arguments of a public function that nothing in the
// module calls (the program calling the model passes them): nothing to
// prune, and the pass says why. (A call in the module that passes constants
// is followed: test/Transforms/frontend-forms.mlir.)
// expected-warning@+2 {{nn-prune: nothing pruned: no constant weight feeds a contraction}}
// expected-warning@+1 {{nn-sparsify: nothing to do: no weight carries a pruning decision}}
module {
func.func @model(%x: tensor<1x4xf32>, %w: tensor<4x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-note@+1 {{no constant reaches 'linalg.matmul': operand #0 is argument #0 of public function @model (no call in the module passes a constant: weights passed in by the caller of the module are not known); operand #1 is argument #1 of public function @model (no call in the module passes a constant: weights passed in by the caller of the module are not known);}}
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
}

// -----

// A call site that passes a computed value, not a constant.
// expected-warning@+2 {{nn-prune: nothing pruned: no constant weight feeds a contraction}}
// expected-warning@+1 {{nn-sparsify: nothing to do: no weight carries a pruning decision}}
module {
func.func @main(%x: tensor<1x4xf32>, %w: tensor<4x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %y = func.call @layer(%x, %w, %init) : (tensor<1x4xf32>, tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
func.func private @layer(%x: tensor<1x4xf32>, %w: tensor<4x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-note@+1 {{operand #1 is argument #1 of private function @layer (no call site passes a constant);}}
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
}

// -----

// A weight computed (negated) by a linalg.generic before its use: not a copy.
#id = affine_map<(d0, d1) -> (d0, d1)>
// expected-warning@+2 {{nn-prune: nothing pruned: no constant weight feeds a contraction}}
// expected-warning@+1 {{nn-sparsify: nothing to do: no weight carries a pruning decision}}
module {
func.func @computed(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x2xf32>
  // expected-note@+1 {{operand #1 is computed by 'linalg.generic' (only transpose, broadcast, reshape, cast, copy and calls are followed)}}
  %y = linalg.matmul ins(%x, %c : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
}
