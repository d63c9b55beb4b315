// Errors: a diagnostic, a non-zero exit.
// RUN: not prune-opt %s "--nn-calibrate=inputs=%t.missing.npy" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not prune-opt %s "--nn-calibrate=inputs=%S/../Integration/Inputs/x_bad.npy" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not prune-opt %s "--nn-calibrate=inputs=%S/../Integration/Inputs/x_nan.npy" 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not prune-opt %s --nn-calibrate 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not prune-opt %s "--nn-calibrate=entry=nope inputs=%S/../Integration/Inputs/x2.npy" 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not prune-opt %s "--nn-calibrate=inputs=%S/../Integration/Inputs/x2.npy first=5" 2>&1 | FileCheck %s --check-prefix=RANGE
// Data-aware criteria need the statistics.
// RUN: not prune-opt %s "--nn-prune=criterion=sparsegpt" 2>&1 | FileCheck %s --check-prefix=UNCALIBRATED
// RUN: not prune-opt %s "--nn-prune=refit=lsq" 2>&1 | FileCheck %s --check-prefix=UNCALIBRATED
// RUN: not prune-opt %s "--nn-prune=criterion=sparsegpt pattern=block" 2>&1 | FileCheck %s --check-prefix=OBSPATTERN
// RUN: not prune-opt %s "--nn-prune=scope=adaptive pattern=nm" 2>&1 | FileCheck %s --check-prefix=ADAPTIVEPATTERN
// RUN: not prune-opt %s "--nn-prune=scope=adaptive" 2>&1 | FileCheck %s --check-prefix=UNCALIBRATED
// RUN: not prune-opt %s "--nn-prune=criterion=activation" 2>&1 | FileCheck %s --check-prefix=CHANNELCRIT

// MISSING: error: nn-calibrate: cannot read '{{.*}}missing.npy'
// SHAPE: error: nn-calibrate: '{{.*}}x_bad.npy' holds 1x5xf32 but argument #0 of 'f' is 1x4xf32
// NAN: error: nn-calibrate: '{{.*}}x_nan.npy' contains NaN or infinite values
// NONE: error: nn-calibrate: give calibration inputs with exactly one of images= or inputs=
// ENTRY: error: nn-calibrate: no function named 'nope' with a body
// RANGE: error: nn-calibrate: samples [5, 2) are out of range (2 available)
// UNCALIBRATED: nn-prune: weight 'w0' has no calibration statistics (nn.calib): run --nn-calibrate first
// OBSPATTERN: error: nn-prune: criterion=sparsegpt|obs supports pattern=unstructured|nm with scope=layer|adaptive
// CHANNELCRIT: error: nn-prune: criterion=activation removes whole outputs: use pattern=channel
// ADAPTIVEPATTERN: error: nn-prune: scope=adaptive supports pattern=unstructured

func.func @f(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %z = arith.constant 0.0 : f32
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 2.0, 3.0]]> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<1x3xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x3xf32>) outs(%i : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
