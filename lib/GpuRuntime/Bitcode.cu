//===- Bitcode.cu - The kernels as LLVM bitcode for compiled models -------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Compiled by clang's CUDA device mode into LLVM bitcode, once per chip
// (lib/GpuRuntime/CMakeLists.txt: PruneGpuKernels.sm_80.bc, .sm_90.bc):
//   clang++ -x cuda --cuda-device-only -nocudainc -nocudalib
//           --cuda-gpu-arch=sm_XX -emit-llvm -c Bitcode.cu
// nn-lower-kernels{target=gpu} links it into the model's gpu.module
// (#nvvm.target<link = [...]>), whose kernels call the entry points of
// Entries.cuh; MLIR's NVPTX backend then produces the PTX (and ptxas the
// cubin). No CUDA toolkit is needed: -nocudainc leaves out CUDA's headers,
// so ClangCudaPrelude.h and this file define the little of them the
// kernels use.
//
//===----------------------------------------------------------------------===//

#ifndef __CUDA__
#error "Bitcode.cu is for clang's CUDA device mode"
#endif

#include "ClangCudaPrelude.h" // __device__ & co., threadIdx & co.

#define PRUNE_GPU_BITCODE 1

/// CUDA's __shfl_xor_sync for float (the only one the kernels use).
__device__ __forceinline__ float __shfl_xor_sync(unsigned mask, float value,
                                                 int laneMask) {
  return __nvvm_shfl_sync_bfly_f32(mask, value, laneMask, 0x1f);
}
/// One rounding, as fma.rn.f32 (and as the host's fmaf under SimtEmu.h).
__device__ __forceinline__ float fmaf(float a, float b, float c) {
  return __builtin_fmaf(a, b, c);
}

#include "Entries.cuh"
