// Every public function with a body gets llvm.emit_c_interface; private
// functions and declarations do not.
// RUN: prune-opt %s --nn-export-c-interface | FileCheck %s

// CHECK: func.func @public_fn(%{{.*}}: tensor<2xf32>) -> tensor<2xf32> attributes {llvm.emit_c_interface}
func.func @public_fn(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = func.call @helper(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
// CHECK: func.func private @helper(%{{.*}}: tensor<2xf32>) -> tensor<2xf32> {
func.func private @helper(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
// CHECK: func.func private @external(tensor<2xf32>) -> tensor<2xf32>{{$}}
func.func private @external(tensor<2xf32>) -> tensor<2xf32>
