//===- GpuBench.h - prune-bench --gpu: the GPU cases ---------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The GPU half of prune-bench (bench/GpuBench.cpp): the same layers as the
// CPU cases, pruned by the same passes, on libPruneOptGpu's kernels against
// cuBLAS (f32) and cuBLASLt (f16) measured in the same run. Built with the
// GPU code when CMake found CUDA (PRUNE_OPT_BENCH_GPU); otherwise
// runGpuBench only says so.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_BENCH_GPUBENCH_H
#define PRUNE_OPT_BENCH_GPUBENCH_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace prunebench {

struct GpuBenchOptions {
  std::vector<std::string> shapes;     // OUTxIN
  std::vector<int64_t> batches;        //
  std::vector<double> sparsities;      // unstructured: csr
  std::vector<std::string> structured; // N:M (nm; 2:4 also sptc), RxC (bsr)
  std::vector<double> blockSparsities; // of the RxC blocks
  int reps = 11, warmup = 3;
  bool flushL2 = true;
};

/// The weight W[out][in] (row-major, from `w`) pruned by the nn-prune
/// options `prune` (e.g. "sparsity=0.9", "pattern=nm n=2 m=4"), as the
/// CPU cases prune it; empty on failure (after printing why).
using PruneFn = std::function<std::vector<float>(int64_t out, int64_t in,
                                                 const std::vector<double> &w,
                                                 const std::string &prune)>;

/// Runs the GPU cases and prints their table (also appended to `report`
/// for --markdown). Returns the exit status: 0 (also when there is no GPU:
/// the cases are skipped with a line saying why), 1 when this prune-bench
/// was built without CUDA, 2 on an error.
int runGpuBench(const GpuBenchOptions &options, const PruneFn &prune,
                std::string &report);

} // namespace prunebench

#endif // PRUNE_OPT_BENCH_GPUBENCH_H
