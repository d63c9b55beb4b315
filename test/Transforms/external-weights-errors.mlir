// Bad external weights: a diagnostic at the weight and a failed run, never
// a crash. w.safetensors holds w_1, a 4x3 f32 tensor (the file the store
// pass writes; the blob keeps the name w, so the stored key is w_1).

// RUN: rm -rf %t && mkdir -p %t && cd %t
// RUN: prune-opt %S/Inputs/external-weights-small.mlir --nn-store-weights=file=w.safetensors | FileCheck %s --check-prefix=KEY
// KEY: dense_resource<w_1>
// RUN: printf 'not a safetensors file' > bad.safetensors
// RUN: printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"F32","shape":[9],"data_offsets":[0,36]}}' > short.safetensors
// RUN: not prune-opt %s -split-input-file -verify-diagnostics --nn-prune=sparsity=0.5 -o /dev/null

module attributes {prune.weight_files = ["missing.safetensors"]} {
  func.func @f() -> tensor<4x3xf32> {
    // expected-error @+1 {{weight data of resource 'w_1' is not in the IR and cannot be found: weight file 'missing.safetensors': No such file or directory}}
    %w = arith.constant dense_resource<w_1> : tensor<4x3xf32>
    return %w : tensor<4x3xf32>
  }
}

// -----

module attributes {prune.weight_files = ["w.safetensors"]} {
  func.func @f() -> tensor<4x3xf32> {
    // expected-error @+1 {{no weight file has tensor 'other' (searched 'w.safetensors')}}
    %w = arith.constant dense_resource<other> : tensor<4x3xf32>
    return %w : tensor<4x3xf32>
  }
}

// -----

module attributes {prune.weight_files = ["w.safetensors"]} {
  func.func @f() -> tensor<4x3xf16> {
    // expected-error @+1 {{weight file 'w.safetensors': tensor 'w_1' is F32, the IR expects 'f16'}}
    %w = arith.constant dense_resource<w_1> : tensor<4x3xf16>
    return %w : tensor<4x3xf16>
  }
}

// -----

module attributes {prune.weight_files = ["w.safetensors"]} {
  func.func @f() -> tensor<4x4xf32> {
    // expected-error @+1 {{weight file 'w.safetensors': tensor 'w_1' has 12 elements, the IR expects 'tensor<4x4xf32>'}}
    %w = arith.constant dense_resource<w_1> : tensor<4x4xf32>
    return %w : tensor<4x4xf32>
  }
}

// -----

module attributes {prune.weight_files = ["bad.safetensors"]} {
  func.func @f() -> tensor<4x3xf32> {
    // expected-error @+1 {{weight file 'bad.safetensors': header length}}
    %w = arith.constant dense_resource<w_1> : tensor<4x3xf32>
    return %w : tensor<4x3xf32>
  }
}

// -----

module attributes {prune.weight_files = ["short.safetensors"]} {
  func.func @f() -> tensor<9xf32> {
    // expected-error @+1 {{weight file 'short.safetensors': tensor 'a': data_offsets outside the file's data (0 bytes)}}
    %w = arith.constant dense_resource<a> : tensor<9xf32>
    return %w : tensor<9xf32>
  }
}

// -----

// expected-error @+1 {{'prune.weight_files' must be a non-empty array of file names on a builtin.module}}
module attributes {prune.weight_files = [1]} {
}

// -----

// A blob-less resource without weight files: the old message, and a hint.
func.func @f() -> tensor<4x3xf32> {
  // expected-error @+1 {{resource 'w_9' has no blob (elided or absent from the file's dialect_resources) and the module names no weight files ('prune.weight_files')}}
  %w = arith.constant dense_resource<w_9> : tensor<4x3xf32>
  return %w : tensor<4x3xf32>
}
