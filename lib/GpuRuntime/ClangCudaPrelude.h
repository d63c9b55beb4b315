//===- ClangCudaPrelude.h - CUDA keywords for clang -nocudainc --*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// `clang++ -x cuda --cuda-device-only -nocudainc -nocudalib` (how the GPU
// kernels are compiled to LLVM IR / PTX without nvcc) includes neither the
// CUDA headers nor clang's __clang_cuda_runtime_wrapper.h, which is where
// __device__ & co. and threadIdx & co. come from. This defines the few the
// kernels use, as the wrapper would: the attributes, and the built-in
// variables from clang's own resource header (not a CUDA one). A no-op for
// nvcc and for clang with the CUDA headers (__CUDACC__ is defined there),
// and for the host compiler (no __CUDA__).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_CLANGCUDAPRELUDE_H
#define PRUNE_OPT_LIB_GPURUNTIME_CLANGCUDAPRELUDE_H

#if defined(__clang__) && defined(__CUDA__) && !defined(__CUDACC__)
/// Set when this prelude is in effect: there is no dim3 (a CUDA header's),
/// so launch plans, which are host code, are left out.
#define PRUNE_CLANG_CUDA_NO_HEADERS 1
#ifndef __device__
#define __device__ __attribute__((device))
#endif
#ifndef __global__
#define __global__ __attribute__((global))
#endif
#ifndef __host__
#define __host__ __attribute__((host))
#endif
#ifndef __shared__
#define __shared__ __attribute__((shared))
#endif
#ifndef __forceinline__
#define __forceinline__ __inline__ __attribute__((always_inline))
#endif
#ifndef __launch_bounds__
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#endif
// threadIdx & co. (__syncthreads is a clang builtin in CUDA mode).
#include <__clang_cuda_builtin_vars.h>
#endif

#endif // PRUNE_OPT_LIB_GPURUNTIME_CLANGCUDAPRELUDE_H
