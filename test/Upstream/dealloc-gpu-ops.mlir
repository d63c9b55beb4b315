// RUN: prune-opt %s -split-input-file -verify-diagnostics --ownership-based-buffer-deallocation

// MLIR 22's ownership-based buffer deallocation rejects ops with unknown
// memory effects, which gpu.wait and gpu.launch_func are, so a module with
// GPU launches cannot go through nn-lower-cpu's buffer-deallocation-pipeline.
// nn-lower-gpu therefore emits the GPU ops after it: nn-lower-kernels
// leaves declarations with a #prune.gpu_call and nn-lower-gpu-calls defines
// them once deallocation has run (lib/Transforms/LowerGpuCalls.cpp). When
// this test fails, upstream handles GPU ops and the split can go.

func.func @wait() {
  %m = memref.alloc() : memref<4xf32>
  // expected-error @below {{ops with unknown memory side effects are not supported}}
  %t = gpu.wait async
  gpu.wait [%t]
  return
}
