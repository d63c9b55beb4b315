//===- Launch.h - Launching the GPU kernels from host C++ -------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/GpuRuntime: what Kernels.cu (nvcc) exports to Runtime.cpp
// (host C++, no CUDA kernel syntax): Kernels.cuh's launch plan, launched
// with <<<>>> on a stream. No CUDA header: errors are cudaError_t values as
// int, the stream a cudaStream_t as void *.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_LAUNCH_H
#define PRUNE_OPT_LIB_GPURUNTIME_LAUNCH_H

#include "GpuTypes.h"

namespace pruneopt::gpu {

/// How a launch went: error is the cudaError_t of the first launch that
/// failed (0: none), kernel/layout name it ("tile_rows", "csr16").
/// unknownLayout: w has a layout the kernels do not run (nothing launched).
struct LaunchResult {
  int error = 0;
  const char *kernel = "";
  const char *layout = "";
  bool unknownLayout = false;
};

/// Kernels.cuh's launchFc on `stream` (a.xT: scratch for batch > 1).
LaunchResult launchFcOnDevice(const WeightView &w, const FcArgs &a,
                              void *stream);
/// Kernels.cuh's launchEpilogue (bias, ReLU after cuBLAS) on `stream`.
LaunchResult launchEpilogueOnDevice(int64_t rows, const FcArgs &a,
                                    void *stream);

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_LAUNCH_H
