// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   | FileCheck %s
// The statistics make the data-aware criteria work; sparsegpt updates the
// kept weights (W2's input 1 is a dead ReLU: pruned first).
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.5 criterion=sparsegpt" | FileCheck %s --check-prefix=OBS
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.5 criterion=wanda refit=lsq" | FileCheck %s --check-prefix=WANDA

// H = X^T X over x = [1,2,3,4] and [-1,0,2,1]:
// [[2,2,1,3],[2,4,6,8],[1,6,13,14],[3,8,14,17]] (f64, row-major).
// CHECK: arith.constant {nn.calib = {gram = dense_resource<w0_gram> : tensor<4x4xf64>, rows = 2 : i64, samples = 2 : i64}} dense<
// CHECK: arith.constant {nn.calib = {gram = dense_resource<w1_gram> : tensor<3x3xf64>, rows = 2 : i64, samples = 2 : i64}} dense<
// CHECK: w0_gram: "0x0800000000000000000000400000000000000040000000000000F03F00000000000008400000000000000040000000000000104000000000000018400000000000002040000000000000F03F00000000000018400000000000002A400000000000002C40000000000000084000000000000020400000000000002C400000000000003140"

// OBS: criterion = "sparsegpt"{{.*}}zeros = 6 : i64
// OBS: criterion = "sparsegpt"{{.*}}zeros = 3 : i64
// WANDA: criterion = "wanda"{{.*}}refit = "lsq"{{.*}}zeros = 6 : i64

// Sequential mode: calibrate, prune one weight, recalibrate on the pruned
// model, prune the next.
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir \
// RUN:   "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy sequential-prune='sparsity=0.5 criterion=sparsegpt'" \
// RUN:   -o %t.seq.mlir 2>&1 | FileCheck %s --check-prefix=PROGRESS
// RUN: FileCheck %s --check-prefix=SEQ < %t.seq.mlir
// PROGRESS: nn-calibrate: pruned w0 (1/2)
// PROGRESS-NEXT: nn-calibrate: pruned w1 (2/2)
// SEQ: criterion = "sparsegpt"{{.*}}zeros = 6 : i64
// SEQ: criterion = "sparsegpt"{{.*}}zeros = 3 : i64

// Adaptive allocation: per-layer sparsities chosen from the calibration data
// so that together the weights hold exactly round(0.5 * 18) = 9 zeros.
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.5 scope=adaptive criterion=sparsegpt" --nn-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=ADAPTIVE
// ADAPTIVE: total: 2 weights, 18 parameters, 50.0% zero
