// nn-external-weight-loads (inside nn-lower-cpu): a private constant global
// whose data is in a weight file becomes a run-time load; any other global
// of such data is an error (a read-only mapping cannot be written, an
// erased public global would leave its users dangling).

// RUN: rm -rf %t && mkdir -p %t && cd %t
// RUN: prune-opt %S/Inputs/external-weights-small.mlir --nn-store-weights=file=w.safetensors -o /dev/null
// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-external-weight-loads | FileCheck %s

// CHECK-LABEL: module attributes
// CHECK-SAME: nn.external_weight_bytes = 48 : i64
// CHECK: memref.global "private" constant @__prune_weight_file_0 : memref<13xi8> = dense<[119, 46, 115, 97, 102, 101, 116, 101, 110, 115, 111, 114, 115]>
// CHECK: func.func private @prune_rt_weight(memref<?xi8>, i64, i64, i64) -> memref<?xi8> attributes {llvm.emit_c_interface}
// CHECK-NOT: memref.global "private" constant @w
// CHECK: func.func @f
// CHECK: %[[PATH:.*]] = memref.get_global @__prune_weight_file_0
// CHECK: %[[CAST:.*]] = memref.cast %[[PATH]] : memref<13xi8> to memref<?xi8>
// CHECK: %[[RAW:.*]] = call @prune_rt_weight(%[[CAST]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: %[[VIEW:.*]] = memref.view %[[RAW]][%{{.*}}][] : memref<?xi8> to memref<4x3xf32>
// CHECK: return %[[VIEW]]
module attributes {prune.weight_files = ["w.safetensors"]} {
  memref.global "private" constant @w : memref<4x3xf32> = dense_resource<w_1>
  func.func @f() -> memref<4x3xf32> {
    %0 = memref.get_global @w : memref<4x3xf32>
    return %0 : memref<4x3xf32>
  }
}

// -----

module attributes {prune.weight_files = ["w.safetensors"]} {
  // expected-error @+1 {{a global whose data is in a weight file must be a private constant read only through memref.get_global}}
  memref.global "private" @state : memref<4x3xf32> = dense_resource<w_1>
  func.func @f() -> memref<4x3xf32> {
    %0 = memref.get_global @state : memref<4x3xf32>
    return %0 : memref<4x3xf32>
  }
}

// -----

// A module whose weights all have blobs: nothing to do (and no attribute).
// CHECK-LABEL: module attributes {prune.weight_files
// CHECK-NOT: nn.external_weight_bytes
// CHECK: memref.global "private" constant @b : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]>
module attributes {prune.weight_files = ["w.safetensors"]} {
  memref.global "private" constant @b : memref<2xf32> = dense<[1.0, 2.0]>
}
