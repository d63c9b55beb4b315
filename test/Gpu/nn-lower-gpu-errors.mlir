// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-lower-kernels=target=tpu
// RUN: not prune-opt %s --nn-lower-kernels=target=gpu --nn-lower-gpu-calls=chip=sm_75 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not prune-opt %s --nn-lower-kernels=target=gpu --nn-lower-gpu-calls=bitcode=%t.missing.bc -o %t.out 2>&1 | FileCheck %s --check-prefix=BITCODE
// RUN: not test -e %t.out
// RUN: not prune-opt %s --nn-lower-gpu=chip=sm_70 2>&1 | FileCheck %s --check-prefix=PIPE-CHIP
// RUN: not prune-opt %s --nn-lower-gpu=format=ptx 2>&1 | FileCheck %s --check-prefix=PIPE-FORMAT
// RUN: not prune-opt %s --nn-lower-gpu=block-threads=48 2>&1 | FileCheck %s --check-prefix=PIPE-BLOCK
// RUN: not prune-opt %s --nn-lower-gpu=sparse-tensor-cores=fp8 2>&1 | FileCheck %s --check-prefix=PIPE-SPTC
// RUN: not prune-opt %s "--nn-lower-kernels=target=gpu sparse-tensor-cores=on" 2>&1 | FileCheck %s --check-prefix=SPTC
// RUN: not prune-opt %s --nn-lower-kernels=sparse-tensor-cores=f16 2>&1 | FileCheck %s --check-prefix=SPTC-CPU

// Bad options and a missing bitcode are diagnosed (non-zero exit, no
// output written); a declaration that is not what nn-lower-kernels makes
// is rejected.

// expected-error @below {{nn-lower-kernels: option 'target' must be cpu or gpu, got 'tpu'}}
module {
// CHIP: error: nn-lower-gpu-calls: option 'chip' must be sm_80 or sm_90 (the chips the kernels' bitcode is built for), got 'sm_75'
// BITCODE: error: nn-lower-gpu-calls: the GPU kernels' bitcode for sm_90 was not found
// BITCODE: note: not at {{.*}}.missing.bc
// BITCODE: note: it is built with the project (lib/prune-opt/PruneGpuKernels.sm_90.bc); option bitcode=PATH names it
// PIPE-CHIP: error: nn-lower-gpu: option 'chip' must be sm_80 or sm_90, got 'sm_70'
// PIPE-BLOCK: error: nn-lower-gpu-calls: option 'block-threads' must be a multiple of 32 from 32 to 1024, got 48
// PIPE-FORMAT: error: nn-lower-gpu: option 'format' must be isa, bin or fatbin, got 'ptx'
// PIPE-SPTC: error: nn-lower-gpu: option 'sparse-tensor-cores' must be off, f16 or bf16, got 'fp8'
// SPTC: error: nn-lower-kernels: option 'sparse-tensor-cores' must be off, f16 or bf16, got 'on'
// SPTC-CPU: error: nn-lower-kernels: option 'sparse-tensor-cores' needs target=gpu
func.func @linear(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
}
