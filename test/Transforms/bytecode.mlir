// MLIR bytecode in and out: a model read from bytecode is pruned and written
// as bytecode (dense_resource blobs included); printing it back shows the
// decision and the pruned data. The pruned bytecode also runs.
// RUN: prune-opt %s --emit-bytecode -o %t.mlirbc
// RUN: od -An -c -N4 %t.mlirbc | FileCheck %s --check-prefix=MAGIC
// RUN: prune-opt %t.mlirbc --nn-prune=sparsity=0.5 --emit-bytecode -o %t.pruned.mlirbc
// RUN: od -An -c -N4 %t.pruned.mlirbc | FileCheck %s --check-prefix=MAGIC
// RUN: prune-opt %t.pruned.mlirbc | FileCheck %s
// RUN: prune-opt %t.pruned.mlirbc --nn-sparsify=format=csr --emit-bytecode -o %t.sparse.mlirbc
// RUN: prune-opt %t.sparse.mlirbc | FileCheck %s --check-prefix=SPARSE
// RUN: prune-run %t.sparse.mlirbc --inputs=%S/../Integration/Inputs/x2.npy --print | FileCheck %s --check-prefix=OUT

// MAGIC: M L 357 R

// CHECK: arith.constant {prune.decision = #prune.decision<name = "fc.weight", criterion = magnitude, pattern = unstructured, scope = layer, sparsity = 5.000000e-01, zeros = 4, elements = 8>} dense_resource<fc.weight_pruned> : tensor<4x2xf32>
// CHECK: dialect_resources
// The pruned blob: alignment 4, then [[0, 0], [-2, 0], [3, 4], [0, -5]].
// CHECK: fc.weight_pruned: "0x040000000000000000000000000000C0000000000000404000008040000000000000A0C0"

// SPARSE: sparse_tensor.assemble
// SPARSE-SAME: prune.layout = #prune.layout<format = csr

// x = [1, 2, 3, 4] and [-1, 0, 2, 1]: y = x W with the pruned W.
// OUT: [A] sample 0: 5 -8
// OUT: [A] sample 1: 6 3

func.func @main(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense_resource<fc.weight> : tensor<4x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%i : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      fc.weight: "0x040000000000803F0000003F000000C00000803E0000404000008040CDCCCC3D0000A0C0"
    }
  }
#-}
