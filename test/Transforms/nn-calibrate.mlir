// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   | FileCheck %s
// The statistics make the data-aware criteria work; sparsegpt and obs update
// the kept weights (W2's input 1 is a dead ReLU: pruned first). Their masks
// and updated weights (w0_pruned, w1_pruned) are compared with
// Inputs/obs_reference.py, which recomputes both criteria in plain Python
// from the model's weights and x2.npy (zeros equal, values within 1e-5):
// sparsegpt W1 = [[0, 0, 0, 3.64892], [-3, 0, 1.65858, 0], [0, 5.06279, -1.06847, 2.04425]],
//           W2 = [[0, -1], [0, 0], [0.438261, 3]];
// obs       W1 = [[0, 0, 0, 3.64892], [-2.47407, 0, 2.15081, 0], [0, 5.06279, -1.06847, 2.04425]],
//           W2 = [[0.50281, -1], [0, 0], [0, 3]].
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.5 criterion=sparsegpt" -o %t.sparsegpt.mlir
// RUN: FileCheck %s --check-prefix=OBS < %t.sparsegpt.mlir
// RUN: %python %S/Inputs/obs_reference.py sparsegpt %t.sparsegpt.mlir
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.5 criterion=obs" -o %t.obs.mlir
// RUN: FileCheck %s --check-prefix=EXACT < %t.obs.mlir
// RUN: %python %S/Inputs/obs_reference.py obs %t.obs.mlir
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.5 criterion=wanda refit=lsq" | FileCheck %s --check-prefix=WANDA

// H = X^T X over x = [1,2,3,4] and [-1,0,2,1]:
// [[2,2,1,3],[2,4,6,8],[1,6,13,14],[3,8,14,17]] (f64, row-major).
// CHECK: arith.constant {nn.calib = {act_entropy = {{.*}}, gram = dense_resource<w0_gram> : tensor<4x4xf64>, rows = 2 : i64, samples = 2 : i64}} dense<
// CHECK: arith.constant {nn.calib = {act_entropy = {{.*}}, gram = dense_resource<w1_gram> : tensor<3x3xf64>, rows = 2 : i64, samples = 2 : i64}} dense<
// CHECK: w0_gram: "0x0800000000000000000000400000000000000040000000000000F03F00000000000008400000000000000040000000000000104000000000000018400000000000002040000000000000F03F00000000000018400000000000002A400000000000002C40000000000000084000000000000020400000000000002C400000000000003140"

// OBS: criterion = sparsegpt{{.*}}zeros = 6,
// OBS: criterion = sparsegpt{{.*}}zeros = 3,
// EXACT: criterion = obs{{.*}}zeros = 6,
// EXACT: criterion = obs{{.*}}zeros = 3,
// WANDA: criterion = wanda{{.*}}refit = lsq{{.*}}zeros = 6,

// Sequential mode: calibrate, prune one weight, recalibrate on the pruned
// model, prune the next.
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir \
// RUN:   "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy sequential-prune='sparsity=0.5 criterion=sparsegpt'" \
// RUN:   -o %t.seq.mlir 2>&1 | FileCheck %s --check-prefix=PROGRESS
// RUN: FileCheck %s --check-prefix=SEQ < %t.seq.mlir
// PROGRESS: nn-calibrate: pruned w0 (1/2)
// PROGRESS-NEXT: nn-calibrate: pruned w1 (2/2)
// SEQ: criterion = sparsegpt{{.*}}zeros = 6,
// SEQ: criterion = sparsegpt{{.*}}zeros = 3,

// Adaptive allocation: per-layer sparsities chosen from the calibration data
// so that together the weights hold exactly round(0.5 * 18) = 9 zeros.
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.5 scope=adaptive criterion=sparsegpt" --nn-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=ADAPTIVE
// ADAPTIVE: total: 2 weights, 18 parameters, 50.0% zero

// Per-output activation statistics (after bias and ReLU) drive channel
// criteria. Layer 1's outputs over the two samples are [15, 0, 16.1] and
// [4.5, 0, 0.9]: output 1 never fires (mean |a| 0), so `activation` removes
// it (W1 row 1); layer 2's outputs [6.95, 33.3], [4.05, -1.8] have mean |a|
// [5.5, 17.55]: its output 0 (W2 column 0) goes.
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   | FileCheck %s --check-prefix=STATS
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.34 pattern=channel criterion=activation" | FileCheck %s --check-prefix=ACT
// RUN: prune-opt %S/../Integration/Inputs/two-layer.mlir "--nn-calibrate=entry=mlp inputs=%S/../Integration/Inputs/x2.npy" \
// RUN:   "--nn-prune=sparsity=0.34 pattern=channel criterion=entropy" | FileCheck %s --check-prefix=ENT
// STATS: nn.calib = {act_entropy = dense_resource<{{.*}}> : tensor<3xf64>, act_mean = dense_resource<{{.*}}> : tensor<3xf64>, act_zeros = dense_resource<{{.*}}> : tensor<3xf64>, gram =
// STATS: nn.calib = {act_entropy = dense_resource<{{.*}}> : tensor<2xf64>, act_mean = dense_resource<{{.*}}> : tensor<2xf64>, act_zeros = dense_resource<{{.*}}> : tensor<2xf64>, gram =
// ACT: criterion = activation{{.*}}pattern = channel{{.*}}zeros = 4,
// ACT: criterion = activation{{.*}}pattern = channel{{.*}}zeros = 3,
// ACT: w0_pruned: "0x040000000000803F000000C00000003F0000804000000000000000000000000000000000CDCCCC3D0000A040000080BF00000040"
// ACT: w1_pruned: "0x0400000000000000000080BF000000000000003F0000000000004040"
// Channel 1 of layer 1 is constant (entropy 0): it goes first with entropy.
// ENT: criterion = entropy{{.*}}zeros = 4,
// ENT: w0_pruned: "0x040000000000803F000000C00000003F0000804000000000000000000000000000000000CDCCCC3D0000A040000080BF00000040"
