// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir --nn-prune=sparsity=0.5 --nn-sparsify="min-sparsity=0.55" \
// RUN:   --nn-report=json=%t.json -o /dev/null 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir --nn-prune="pattern=nm n=1 m=3" --nn-sparsify=format=csr \
// RUN:   --nn-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=NM
// Unpruned weights are listed with their existing zeros; the IR is unchanged.
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir --nn-report=table=false | FileCheck %s --check-prefix=IR
// A kernel format: what the compiled model stores is the kernel's packed
// arrays (3 values 12 B + 3 masks 6 B + 4 row pointers 16 B = 34 B), not the
// sparse_tensor arrays of the IR (positions 16 B + coordinates 12 B +
// values 12 B = 40 B).
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir --nn-prune=sparsity=0.75 --nn-sparsify=format=bitmask \
// RUN:   --nn-report=json=%t2.json -o /dev/null 2>&1 | FileCheck %s --check-prefix=KERNEL
// RUN: FileCheck %s --check-prefix=KJSON < %t2.json
// KERNEL: w0 linalg.generic 3x4 unstructured 75.0% 75.0% bitmask f32 1-bit 48B 34B 2.83
// KJSON: "name": "w0",
// KJSON: "format": "bitmask",
// KJSON: "kernel_index": "1-bit",
// KJSON-NEXT: "bytes_dense": 48,
// KJSON-NEXT: "bytes_ir": 40,
// KJSON-NEXT: "bytes_stored": 34,

// Both weights are exactly 50 % zero after pruning, below min-sparsity=0.55,
// so both stay dense; the totals add up.
// TABLE: weight consumer shape pattern target actual format vals idx bytes stored B/w MFLOP executed
// TABLE-NEXT: w0 linalg.matmul 3x4 unstructured 50.0% 50.0% dense f32 - 48B 48B 4.00 0.000 0.000
// TABLE-NEXT: w1 linalg.matmul 3x2 unstructured 50.0% 50.0% dense f32 - 24B 24B 4.00 0.000 0.000
// TABLE-NEXT: total: 2 weights, 18 parameters, 50.0% zero; 72B -> 72B (1.00x smaller); 0.000 -> 0.000 MFLOP

// JSON: "version": 1,
// JSON: "name": "w0",
// JSON-NEXT: "id": "w0",
// JSON-NEXT: "location": "{{.*}}two-layer.mlir:7:9",
// JSON-NEXT: "consumers": "linalg.matmul",
// JSON-NEXT: "shape": "3x4",
// JSON-NEXT: "element_type": "f32",
// JSON-NEXT: "criterion": "magnitude",
// JSON-NEXT: "pattern": "unstructured",
// JSON-NEXT: "target_sparsity": 0.5,
// JSON-NEXT: "elements": 12,
// JSON-NEXT: "zeros": 6,
// JSON-NEXT: "sparsity": 0.5,
// JSON-NEXT: "format": "dense",
// JSON-NEXT: "value_type": "f32",
// JSON-NEXT: "bytes_per_weight": 4,
// JSON-NEXT: "pos_width": null,
// JSON-NEXT: "crd_width": null,
// JSON-NEXT: "kernel_index": null,
// JSON-NEXT: "bytes_dense": 48,
// JSON-NEXT: "bytes_ir": 48,
// JSON-NEXT: "bytes_stored": 48,
// JSON-NEXT: "flops_dense": 24,
// JSON-NEXT: "flops_executed": 24
// JSON: "totals": {
// JSON-NEXT: "weights": 2,
// JSON-NEXT: "pruned": 2,
// JSON-NEXT: "elements": 18,
// JSON-NEXT: "zeros": 9,
// JSON-NEXT: "bytes_dense": 72,
// JSON-NEXT: "bytes_stored": 72,
// JSON-NEXT: "flops_dense": 36,
// JSON-NEXT: "flops_executed": 36

// 1:3 keeps 1 of every 3 inputs; W1's 4 inputs are not a multiple of 3 (left
// alone), W2's 3 are: the CSR kernel of W2[out=2, in=3] with 2 nonzeros
// stores values 8 B + u8 columns 2 B + row pointers 12 B = 22 B (the IR's
// i32 arrays are 28 B).
// NM: w0 linalg.matmul 3x4 - - 0.0% dense f32 -
// NM-NEXT: w1 linalg.generic 2x3 nm 1:3 66.7% 66.7% csr f32 u8 24B 22B 3.67 0.000 0.000
// NM-NEXT: total: 2 weights, 18 parameters, 22.2% zero; 72B -> 70B (1.03x smaller)

// IR: arith.constant dense<{{\[}}[1.000000e+00, -2.000000e+00
// IR-NOT: prune.decision
