// The documented AOT flow: prune-opt | mlir-translate | clang gives an object
// whose _mlir_ciface_<fn> a C program calls.
// (@main and its printer are dropped first: the C program has its own main.)
// RUN: prune-opt %S/Inputs/two-layer.mlir --symbol-privatize=exclude=mlp --symbol-dce \
// RUN:   --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu \
// RUN:   | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: clang-22 -O2 -c %t.ll -o %t.o
// RUN: clang-22 %S/Inputs/call_mlp.c %t.o -o %t.exe
// RUN: %t.exe | FileCheck %s
// CHECK: y = 0 44.5
