// The documented AOT flow: prune-opt | mlir-translate | clang gives an object
// whose _mlir_ciface_<fn> a C program calls.
// (@main and its printer are dropped first: the C program has its own main.)
// RUN: prune-opt %S/Inputs/two-layer.mlir --symbol-privatize=exclude=mlp --symbol-dce \
// RUN:   --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu \
// RUN:   | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: clang-22 -O2 -c %t.ll -o %t.o
// RUN: clang-22 %sanitize_cflags %S/Inputs/call_mlp.c %t.o -L%kernels_lib_dir -lPruneOptKernels -Wl,-rpath,%kernels_lib_dir -o %t.exe
// RUN: %t.exe | FileCheck %s
// The same through the upstream sparsifier only (kernels=0): no library.
// RUN: prune-opt %S/Inputs/two-layer.mlir --symbol-privatize=exclude=mlp --symbol-dce \
// RUN:   --nn-prune=sparsity=0.5 --nn-sparsify=format=csr --nn-lower-cpu=kernels=0 \
// RUN:   | mlir-translate --mlir-to-llvmir -o %t2.ll
// RUN: clang-22 -O2 -c %t2.ll -o %t2.o
// RUN: clang-22 %S/Inputs/call_mlp.c %t2.o -o %t2.exe
// RUN: %t2.exe | FileCheck %s
// CHECK: y = 0 44.5
