// Weights outside the IR (issue 15): nn-store-weights moves them into a
// safetensors file, passes read them from it and write what they create to
// files of their own, nn-embed-weights brings them back bit for bit, and
// the CPU lowering loads them at run time instead of embedding them.

// RUN: rm -rf %t && mkdir -p %t && cd %t
// RUN: prune-opt %s --nn-store-weights=file=w.safetensors -o stored.mlir
// RUN: FileCheck %s --check-prefix=STORED < stored.mlir
// RUN: prune-opt stored.mlir --nn-embed-weights | FileCheck %s --check-prefix=EMBED
// RUN: prune-opt stored.mlir --nn-prune=sparsity=0.5 -o pruned.mlir
// RUN: FileCheck %s --check-prefix=PRUNED < pruned.mlir
// RUN: prune-opt pruned.mlir --nn-embed-weights | FileCheck %s --check-prefix=PRUNED-EMBED
// Compacting: one file with what the module refers to; the pass's own file
// is deleted, the user's input stays.
// RUN: prune-opt pruned.mlir --nn-store-weights=file=out.safetensors -o compact.mlir
// RUN: FileCheck %s --check-prefix=COMPACT < compact.mlir
// RUN: ls | FileCheck %s --check-prefix=FILES
// RUN: prune-opt compact.mlir --nn-embed-weights | FileCheck %s --check-prefix=PRUNED-EMBED
// A run that fails after a pass wrote a file leaves no file behind (nor
// output): here nn-store-weights fails after nn-prune wrote its file.
// RUN: not prune-opt stored.mlir --nn-prune=sparsity=0.5 --nn-store-weights -o failed.mlir 2>&1 | FileCheck %s --check-prefix=FAILED
// RUN: ls | FileCheck %s --check-prefix=AFTER-FAILED
// FAILED: option 'file' is required
// AFTER-FAILED: stored.mlir
// AFTER-FAILED-NEXT: w.nn-prune-{{[0-9a-f]+}}.safetensors
// AFTER-FAILED-NEXT: w.safetensors
// nn-store-weights never overwrites a file the module reads (the module on
// disk still refers to it), and the file it writes replaces an existing one
// only when the whole run succeeds.
// RUN: not prune-opt stored.mlir --nn-store-weights=file=w.safetensors -o /dev/null 2>&1 | FileCheck %s --check-prefix=SAME
// SAME: error: nn-store-weights: 'w.safetensors' is one of the module's weight files
// RUN: echo old > kept.safetensors
// RUN: not prune-opt stored.mlir --nn-store-weights=file=kept.safetensors --nn-store-weights -o /dev/null
// RUN: FileCheck %s --check-prefix=KEPT < kept.safetensors
// KEPT: {{^old$}}
// RUN: rm kept.safetensors
// The lowering: no weight in the object, a run-time load from the file.
// RUN: prune-opt compact.mlir --nn-lower-cpu | FileCheck %s --check-prefix=LOWER

// STORED: module attributes {prune.weight_files = ["w.safetensors"]}
// STORED: arith.constant dense_resource<[[W:w0_[0-9]+]]> : tensor<4x3xf32>
// STORED: arith.constant dense_resource<nn_weight> : tensor<3xf32>
// STORED-NOT: dialect_resources

// EMBED-NOT: prune.weight_files
// EMBED: dialect_resources
// EMBED: w0_{{[0-9]+}}: "0x040000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041"
// EMBED: nn_weight: "0x040000000000803F0000004000004040"

// PRUNED: module attributes {prune.weight_files = ["w.nn-prune-{{[0-9a-f]+}}.safetensors", "w.safetensors"]}
// PRUNED: dense_resource<w0_{{[0-9]+}}_pruned> : tensor<4x3xf32>
// PRUNED-NOT: dialect_resources

// Half of the weight (the six smallest magnitudes, 1..6) is zero.
// PRUNED-EMBED: w0_{{[0-9]+}}_pruned: "0x040000000000000000000000000000000000000000000000000000000000E0400000004100001041000020410000304100004041"

// COMPACT: module attributes {prune.weight_files = ["out.safetensors"]}
// FILES-NOT: nn-prune
// FILES-NOT: failed.mlir
// FILES: out.safetensors
// FILES: w.safetensors

// LOWER-NOT: dense_resource
// LOWER: llvm.mlir.global private constant @__prune_weight_file_0
// LOWER: llvm.call @_mlir_ciface_prune_rt_weight
module {
  func.func @f(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
    %w = arith.constant dense_resource<w0> : tensor<4x3xf32>
    %b = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<2x3xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
    %m = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
    %e2 = tensor.empty() : tensor<2x3xf32>
    %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%m, %b : tensor<2x3xf32>, tensor<3xf32>) outs(%e2 : tensor<2x3xf32>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %s = arith.addf %a, %c : f32
      linalg.yield %s : f32
    } -> tensor<2x3xf32>
    return %r : tensor<2x3xf32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041"
    }
  }
#-}
