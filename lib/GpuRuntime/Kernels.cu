//===- Kernels.cu - The GPU kernels, launched on the device ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// nvcc's half of the GPU runtime: Kernels.cuh's launch plan with <<<>>>
// launches (which instantiates every kernel the plan can pick: this file's
// PTX is what test/Gpu/ptxas.test checks). Everything else of the runtime
// is host C++ (Runtime.cpp).
//
//===----------------------------------------------------------------------===//

#include "Kernels.cuh"
#include "Launch.h"

#include <cuda_runtime.h>

using namespace pruneopt::gpu;

namespace {
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
} // namespace

LaunchResult pruneopt::gpu::launchFcOnDevice(const WeightView &w,
                                             const FcArgs &a, void *stream) {
  CudaLaunch launch{static_cast<cudaStream_t>(stream), {}};
  if (!launchFc(w, a, launch) && launch.result.error == 0)
    launch.result.unknownLayout = true;
  return launch.result;
}

LaunchResult pruneopt::gpu::launchEpilogueOnDevice(int64_t rows,
                                                   const FcArgs &a,
                                                   void *stream) {
  CudaLaunch launch{static_cast<cudaStream_t>(stream), {}};
  launchEpilogue(rows, a, launch);
  return launch.result;
}
