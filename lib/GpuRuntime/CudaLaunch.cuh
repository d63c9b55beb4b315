//===- CudaLaunch.cuh - <<<>>> launches for a launch plan -----*- CUDA -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The launcher nvcc's halves of the runtime (Kernels.cu,
// SparseTensorCore.cu) give the launch plans (launchFc, launchSptc24).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_CUDALAUNCH_CUH
#define PRUNE_OPT_LIB_GPURUNTIME_CUDALAUNCH_CUH

#include "Launch.h"

#include <cuda_runtime.h>

namespace pruneopt::gpu {
/// Launches on a stream; keeps the first failure (cudaGetLastError right
/// after each launch: a bad configuration, no device, no kernel image for
/// this GPU).
struct CudaLaunch {
  cudaStream_t stream;
  LaunchResult result;
  template <typename... P, typename... A>
  bool operator()(const char *kernel, const char *layout, void (*fn)(P...),
                  dim3 grid, dim3 block, A... args) {
    fn<<<grid, block, 0, stream>>>(args...);
    cudaError_t error = cudaGetLastError();
    if (error == cudaSuccess)
      return true;
    result.error = int(error);
    result.kernel = kernel;
    result.layout = layout;
    return false;
  }
};
} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_CUDALAUNCH_CUH
