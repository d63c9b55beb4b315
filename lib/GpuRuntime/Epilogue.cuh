//===- Epilogue.cuh - What every GPU kernel stores -------------*- CUDA -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The epilogue every kernel (Kernels.cuh, SparseTensorCore.cuh) applies in
// registers at an output's one store. Include after the CUDA keywords are
// defined (nvcc, SimtEmu.h or ClangCudaPrelude.h).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_EPILOGUE_CUH
#define PRUNE_OPT_LIB_GPURUNTIME_EPILOGUE_CUH

#include "GpuTypes.h"

namespace pruneopt::gpu {

/// The value stored at y(b, o) for the product v: the CPU library's
/// finish() (lib/Runtime/KernelsImpl.h), in registers.
__device__ __forceinline__ float epilogue(float v, const float *y,
                                          const FcArgs &a, int64_t o) {
  if (a.flags & kAccumulate)
    v = *y + v;
  if (a.bias)
    v += a.bias[o];
  if (a.flags & kRelu) // max(0, v) keeps NaN (not fmaxf, which drops it)
    v = 0.0f > v ? 0.0f : v;
  return v;
}

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_EPILOGUE_CUH
