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

#include "CudaLaunch.cuh"

using namespace pruneopt::gpu;


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
