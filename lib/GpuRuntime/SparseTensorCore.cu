//===- SparseTensorCore.cu - The 2:4 sparse tensor core kernels launched --===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// nvcc's half of the 2:4 sparse tensor core path: SparseTensorCore.cuh's
// launch plans with <<<>>> launches, for Runtime.cpp (SparseTensorCore.h
// declares them). Needs sm_80 or later (mma.sp, cvt.rn.*x2).
//
//===----------------------------------------------------------------------===//

#include "SparseTensorCore.cuh"

#include "CudaLaunch.cuh"

using namespace pruneopt::gpu;


LaunchResult pruneopt::gpu::launchSptcOnDevice(const SptcWeightView &w,
                                               const FcArgs &a, float *partial,
                                               int kSplit, void *stream) {
  CudaLaunch launch{static_cast<cudaStream_t>(stream), {}};
  launchSptc24(w, a, partial, kSplit, launch);
  return launch.result;
}

LaunchResult pruneopt::gpu::launchToSixteenOnDevice(SptcType type,
                                                    const float *x, int64_t xs,
                                                    int64_t batch, int64_t cols,
                                                    int64_t ld, uint16_t *out,
                                                    void *stream) {
  CudaLaunch launch{static_cast<cudaStream_t>(stream), {}};
  launchToSixteen(type, x, xs, batch, cols, ld,
                  reinterpret_cast<uint32_t *>(out), launch);
  return launch.result;
}
