// Compile and execute with mlir-runner. At 50% magnitude pruning the weights
// become W1 = [[0,-2,0,4],[-3,0,2,0],[0,5,0,2]] and W2 = [[0,-1],[2,0],[0,3]],
// so for x = [1,2,3,4]: h = relu(W1 x + b1) = [12.5, 0, 19], y = [0, 44.5].
// The sparse model, the masked-dense model and the hand computation agree.
//
// RUN: prune-opt %S/Inputs/two-layer.mlir --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%runner_libs | FileCheck %s
// RUN: prune-opt %S/Inputs/two-layer.mlir --nn-prune=sparsity=0.5 --nn-lower-cpu \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%runner_libs | FileCheck %s
// RUN: prune-opt %S/Inputs/two-layer.mlir --nn-lower-cpu \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%runner_libs | FileCheck %s --check-prefix=DENSE
// Upstream's sparsifier alone (kernels=0) gives the same numbers.
// RUN: prune-opt %S/Inputs/two-layer.mlir --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu=kernels=0 \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%runner_libs | FileCheck %s
// RUN: prune-opt %S/Inputs/two-layer.mlir --nn-lower-cpu=kernels=0 \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%runner_libs | FileCheck %s --check-prefix=DENSE
//
// The sparse path uses no runtime library and converts nothing at run time.
// RUN: prune-opt %S/Inputs/two-layer.mlir --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu | FileCheck %s --check-prefix=IR

// CHECK: {{\[}}[0,{{ +}}44.5]]
// DENSE: {{\[}}[6.95,{{ +}}33.3]]
// IR: llvm.func @_mlir_ciface_mlp
// IR-NOT: newSparseTensor
// IR-NOT: sparse_tensor.
