// Size-1 slice dimensions get stride 1 (the same element is read or
// written); other strides stay (test/Upstream/subview-unit-stride.test).
// RUN: prune-opt %s --nn-unit-slice-strides | FileCheck %s

// CHECK-LABEL: func.func @extract
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, 0, 0] [1, 1, 6] [1, 1, 1] : tensor<5x1x6xf32> to tensor<1x6xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0] [2, 1, 3] [2, 1, 2] : tensor<5x1x6xf32> to tensor<2x3xf32>
func.func @extract(%x: tensor<5x1x6xf32>, %t: index, %s: index) -> (tensor<1x6xf32>, tensor<2x3xf32>) {
  %a = tensor.extract_slice %x[%t, 0, 0] [1, 1, 6] [17, %s, 1] : tensor<5x1x6xf32> to tensor<1x6xf32>
  %b = tensor.extract_slice %x[0, 0, 0] [2, 1, 3] [2, 3, 2] : tensor<5x1x6xf32> to tensor<2x3xf32>
  return %a, %b : tensor<1x6xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @insert
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}, 0] [1, 6] [1, 1] : tensor<6xf32> into tensor<5x6xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%{{.*}}, 0] [1, 6] [1, 1] : tensor<6xf32> into tensor<5x6xf32>
func.func @insert(%v: tensor<6xf32>, %d: tensor<5x6xf32>, %t: index) -> (tensor<5x6xf32>, tensor<5x6xf32>) {
  %a = tensor.insert_slice %v into %d[%t, 0] [1, 6] [4, 1] : tensor<6xf32> into tensor<5x6xf32>
  %b = scf.forall (%i) in (5) shared_outs(%o = %d) -> tensor<5x6xf32> {
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %v into %o[%i, 0] [1, 6] [3, 1] : tensor<6xf32> into tensor<5x6xf32>
    }
  }
  return %a, %b : tensor<5x6xf32>, tensor<5x6xf32>
}

// CHECK-LABEL: func.func @unchanged
// CHECK: tensor.extract_slice %{{.*}}[0] [3] [2] : tensor<6xf32> to tensor<3xf32>
func.func @unchanged(%x: tensor<6xf32>) -> tensor<3xf32> {
  %a = tensor.extract_slice %x[0] [3] [2] : tensor<6xf32> to tensor<3xf32>
  return %a : tensor<3xf32>
}
