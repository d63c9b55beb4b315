// Each use of a tensor.empty gets its own tensor.empty right before the
// user (an empty shared by a loop's body made MLIR 22's bufferization reuse
// one buffer for two live values). A single use in the same block is left.
// RUN: prune-opt %s --nn-split-empty-tensors | FileCheck %s
// A function pass: textual pipelines nest it in func.func.
// RUN: prune-opt %s --pass-pipeline='builtin.module(func.func(nn-split-empty-tensors))' | FileCheck %s
// RUN: not prune-opt %s --pass-pipeline='builtin.module(nn-split-empty-tensors)' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NEST
// NEST: Can't add pass 'NNSplitEmptyTensors' restricted to 'func.func' on a PassManager intended to run on 'builtin.module'

// CHECK-LABEL: func.func @shared
// CHECK-NOT: tensor.empty
// CHECK: scf.for
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<4xf32>)
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<4xf32>)
func.func @shared(%a: f32, %b: f32, %init: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %e = tensor.empty() : tensor<4xf32>
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %init) -> tensor<4xf32> {
    %f1 = linalg.fill ins(%a : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    %f2 = linalg.fill ins(%b : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    %s = arith.addf %f1, %f2 : tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func.func @single_use
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK-NOT: tensor.empty
func.func @single_use(%a: f32) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%a : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %f : tensor<4xf32>
}
