// Bad or unusual inputs: never a crash; a diagnostic with a location.
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-sparsify=format=csr -verify-diagnostics | FileCheck %s
// The global scope scores every weight in several passes; its remarks and
// warnings still come once (-verify-diagnostics accepts repeats).
// RUN: prune-opt %s -split-input-file --nn-prune="sparsity=0.5 scope=global" --nn-sparsify=format=csr -verify-diagnostics | FileCheck %s
// RUN: prune-opt %S/Inputs/int8-and-f32-weights.mlir --nn-prune="sparsity=0.5 scope=global" 2>&1 | FileCheck %s --check-prefix=ONCE
// ONCE: remark: nn-prune: weight 'w0' left untouched: element type 'i8' is not supported
// ONCE-NOT: left untouched
// ONCE: prune.decision = #prune.decision<{{.*}}scope = global{{.*}}zeros = 4, elements = 8
// RUN: not prune-opt %S/Inputs/malformed.mlir --nn-prune=sparsity=0.5 -o %t.out 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not test -e %t.out
// PARSE: malformed.mlir:{{[0-9]+}}:{{[0-9]+}}: error:

// A quantized (integer) weight is found but left untouched, with a remark.
// CHECK-LABEL: func.func @int8_weight
// CHECK-NOT: prune.decision
// The pass says when it pruned nothing.
// expected-warning@+2 {{nn-prune: nothing pruned: every one of the 1 weights was skipped}}
// expected-warning@+1 {{nn-sparsify: nothing to do: no weight carries a pruning decision}}
module {
func.func @int8_weight(%x: tensor<1x4xi8>, %init: tensor<1x2xi32>) -> tensor<1x2xi32> {
  // expected-remark@+1 {{nn-prune: weight 'w0' left untouched: element type 'i8' is not supported}}
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xi8>, tensor<4x2xi8>) outs(%init : tensor<1x2xi32>) -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}
}

// -----

// Dynamic batch: the weight is static, the activation is not. Pruning and
// sparsification work.
// CHECK-LABEL: func.func @dynamic_batch
// CHECK: sparse_tensor.assemble
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<2x4xf32, #{{.*}}>)
func.func @dynamic_batch(%x: tensor<?x4xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 0.25], [3.0, 4.0], [0.1, -5.0]]> : tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x2xf32>) outs(%init : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Ops that are not contractions (here an elementwise product with a
// constant) are not pruned.
// CHECK-LABEL: func.func @not_a_contraction
// CHECK-NOT: prune.decision
#id = affine_map<(d0) -> (d0)>
// expected-warning@+3 {{nn-prune: nothing pruned: no constant weight feeds a contraction}}
// expected-note@+2 {{the module has no linalg or TOSA contraction or convolution}}
// expected-warning@+1 {{nn-sparsify: nothing to do: no weight carries a pruning decision}}
module {
func.func @not_a_contraction(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%x, %s : tensor<4xf32>, tensor<4xf32>) outs(%x : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}
}
