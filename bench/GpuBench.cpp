//===- GpuBench.cpp - prune-bench --gpu: pruned layers on a GPU ----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// For each shape: the weight (random normal, as the CPU cases), pruned by
// nn-prune as the CPU cases prune it (the caller's PruneFn), packed by the
// CPU kernel library's packers and uploaded once through libPruneOptGpu's C
// API; then, for each batch, the median of --reps calls of
// prune_gpu_fc_device (x and y device-resident, no bias or ReLU), each
// between CUDA events with the L2 overwritten before it (GpuTiming.h, the
// method of prune-gpu-check). Cases: cuBLAS sgemv (batch 1) / sgemm and
// cuBLASLt's f16 GEMM on the unpruned weight (the baselines), our dense
// kernels, csr at each sparsity, N:M (nm; 2:4 also on the sparse tensor
// cores with f16 and bf16) and RxC blocks (bsr) at each block sparsity.
// Only times: prune-gpu-check and the GPU tests check the outputs.
//
//===----------------------------------------------------------------------===//

#include "GpuBench.h"

#include <cstdio>

#ifndef PRUNE_OPT_BENCH_GPU

int prunebench::runGpuBench(const GpuBenchOptions &, const PruneFn &,
                            std::string &) {
  std::fprintf(stderr,
               "prune-bench: --gpu: not built: this prune-bench was "
               "configured without CUDA (CMake found no CUDA toolkit, or "
               "-DPRUNE_OPT_CUDA=OFF)\n");
  return 1;
}

#else

#include "GpuTiming.h" // lib/GpuRuntime

#include "prune-opt/GpuRuntime/GpuRuntime.h"
#include "prune-opt/Runtime/Kernels.h"

#include <algorithm>
#include <cstdarg>
#include <cstdlib>
#include <map>
#include <random>
#include <tuple>

using namespace prunebench;
namespace kernels = pruneopt::kernels;
namespace timing = pruneopt::gpu::timing;

[[noreturn]] void pruneopt::gpu::timing::fail(const std::string &message) {
  std::fprintf(stderr, "prune-bench --gpu: error: %s\n", message.c_str());
  std::exit(2);
}

namespace {
/// One row label and how to make its weight on the device.
struct Case {
  std::string variant;
  /// Uploads the weight and returns its handle and sets the format column;
  /// null (the row shows dashes) when the case cannot run, after printing
  /// why.
  std::function<prune_gpu_weight *(std::string &format)> upload;
};

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
  char line[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  return line;
}

std::string percent(double s) { return format("%.0f%%", s * 100); }

/// The format column of a weight the CPU library packed.
std::string formatOf(const kernels::PackedWeight &p) {
  switch (p.format) {
  case kernels::Format::CSR:
    return format("csr, %d-bit columns", int(p.colBits));
  case kernels::Format::BSR:
    return format("bsr %dx%d, %d-bit columns", int(p.blockRows),
                  int(p.blockCols), int(p.colBits));
  case kernels::Format::NM:
    return format("nm %d:%d, f32", int(p.n), int(p.m));
  default:
    return kernels::formatName(p.format);
  }
}
} // namespace

int prunebench::runGpuBench(const GpuBenchOptions &o, const PruneFn &prune,
                            std::string &report) {
  auto emit = [&](const std::string &text) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    report += text;
  };
  int32_t devices = 0;
  if (prune_gpu_init(&devices) != PRUNE_GPU_OK || devices < 1) {
    std::string why =
        *prune_gpu_last_error() ? prune_gpu_last_error() : "no CUDA device";
    emit("prune-bench --gpu: no GPU: skipped (" + why + ")\n");
    return 0;
  }
  timing::Timer timer(o.reps, o.warmup, o.flushL2);
  emit("GPU: " + timing::describeDevice() +
       format(". Median of %d calls after %d warm-up, CUDA events around "
              "each call (launch included), L2 %s; x and y resident "
              "(prune_gpu_fc_device), no bias or ReLU. Baselines in the "
              "same run: cuBLAS sgemv (batch 1) / sgemm, f32; cuBLASLt "
              "GEMM with W and x in f16, f32 accumulation.\n\n",
              o.reps, o.warmup,
              timer.flushesL2() ? "overwritten before each call"
                                : "not flushed"));
  emit("| shape | batch | variant | format | weight MB | median ms | min | "
       "max | x cuBLAS f32 | x cuBLASLt f16 | GB/s |\n"
       "|---|---|---|---|---|---|---|---|---|---|---|\n");

  int64_t maxBatch = *std::max_element(o.batches.begin(), o.batches.end());
  std::mt19937 gen(42);
  std::normal_distribution<float> normal;
  for (const std::string &shape : o.shapes) {
    long long o64 = 0, i64 = 0;
    if (std::sscanf(shape.c_str(), "%lldx%lld", &o64, &i64) != 2 || o64 < 1 ||
        i64 < 1) {
      std::fprintf(stderr, "prune-bench --gpu: bad shape %s\n", shape.c_str());
      return 2;
    }
    const int64_t out = o64, in = i64;
    std::vector<double> w(out * in);
    std::vector<float> wf(out * in);
    for (size_t k = 0; k < w.size(); ++k)
      wf[k] = w[k] = normal(gen);
    std::vector<float> x(maxBatch * in);
    for (float &v : x)
      v = normal(gen);
    timing::DeviceBuffer dx(x.size()), dy(maxBatch * out);
    timing::checkCuda(cudaMemcpy(dx.ptr, x.data(), x.size() * sizeof(float),
                                 cudaMemcpyHostToDevice),
                      "cudaMemcpy (x)");

    // The cases of this shape, baselines first.
    using Upload = int (*)(prune_gpu_weight **, int64_t, int64_t, const float *,
                           const float *);
    std::vector<Case> cases;
    for (const auto &base :
         {std::tuple<const char *, const char *, Upload>(
              "cuBLAS", "dense f32", prune_gpu_upload_dense_cublas),
          {"cuBLASLt f16", "dense f16", prune_gpu_upload_dense_cublaslt_f16},
          {"dense (ours)", "dense f32", prune_gpu_upload_dense}}) {
      const char *fmt = std::get<1>(base);
      Upload upload = std::get<2>(base);
      cases.push_back(
          {std::get<0>(base), [&, fmt, upload](std::string &column) {
             prune_gpu_weight *h = nullptr;
             timing::check(upload(&h, out, in, wf.data(), nullptr));
             column = fmt;
             return h;
           }});
    }
    // A pruned case: nn-prune's mask, then `make` uploads it.
    using Make =
        std::function<prune_gpu_weight *(std::vector<float> &, std::string &)>;
    auto pruned = [&](std::string variant, std::string options, Make make) {
      cases.push_back({variant, [&, options, make](std::string &column) {
                         std::vector<float> masked = prune(out, in, w, options);
                         return masked.empty() ? nullptr : make(masked, column);
                       }});
    };
    // ... in the layout the CPU library's packer gives it.
    auto packed = [&](auto pack) -> Make {
      return [&, pack](std::vector<float> &m,
                       std::string &column) -> prune_gpu_weight * {
        kernels::PackedWeight p;
        if (!pack(m, p)) {
          std::fprintf(stderr, "prune-bench --gpu: a pruned weight does not "
                               "pack in its format (skipped)\n");
          return nullptr;
        }
        column = formatOf(p);
        return timing::upload(p, m.data(), nullptr);
      };
    };
    for (double s : o.sparsities)
      pruned("csr " + percent(s), format("sparsity=%g", s),
             packed([&](std::vector<float> &m, kernels::PackedWeight &p) {
               p = kernels::packCSR(m.data(), out, in);
               return true;
             }));
    for (const std::string &pat : o.structured) {
      int a = 0, b = 0;
      if (std::sscanf(pat.c_str(), "%d:%d", &a, &b) == 2 && b > 0) {
        std::string opts = format("pattern=nm n=%d m=%d", a, b);
        pruned(
            pat, opts,
            packed([&, a, b](std::vector<float> &m, kernels::PackedWeight &p) {
              return kernels::packNM(m.data(), out, in, a, b, p);
            }));
        if (a == 2 && b == 4)
          for (int32_t type : {int32_t(PRUNE_GPU_F16), int32_t(PRUNE_GPU_BF16)})
            pruned(pat + (type == PRUNE_GPU_F16 ? " sptc f16" : " sptc bf16"),
                   opts, [&, type](std::vector<float> &m, std::string &column) {
                     prune_gpu_weight *h = nullptr;
                     timing::check(prune_gpu_upload_nm24_sptc(
                         &h, out, in, m.data(), nullptr, type));
                     column = type == PRUNE_GPU_F16 ? "sptc24, f16 (mma.sp)"
                                                    : "sptc24, bf16 (mma.sp)";
                     return h;
                   });
      } else if (std::sscanf(pat.c_str(), "%dx%d", &a, &b) == 2 && a > 0 &&
                 b > 0) {
        for (double s : o.blockSparsities)
          pruned(pat + " " + percent(s),
                 format("pattern=block block=%dx%d sparsity=%g", a, b, s),
                 packed([&, a, b](std::vector<float> &m,
                                  kernels::PackedWeight &p) {
                   return kernels::packBSR(m.data(), out, in, a, b, p);
                 }));
      } else {
        std::fprintf(stderr, "prune-bench --gpu: bad pattern %s\n",
                     pat.c_str());
        return 2;
      }
    }

    // Each case uploaded once and timed at every batch; then the table.
    std::map<int64_t, std::vector<timing::Times>> times;
    std::vector<std::string> formats(cases.size());
    std::vector<double> megabytes(cases.size());
    std::vector<bool> ran(cases.size());
    for (size_t c = 0; c < cases.size(); ++c) {
      prune_gpu_weight *h = cases[c].upload(formats[c]);
      ran[c] = h != nullptr;
      for (int64_t batch : o.batches) {
        timing::Times t;
        if (h)
          t = timer.time([&] {
            return prune_gpu_fc_device(h, dy.ptr, out, dx.ptr, in, batch, 0,
                                       nullptr, nullptr);
          });
        times[batch].push_back(t);
      }
      if (h) {
        megabytes[c] = double(prune_gpu_weight_bytes(h)) / 1e6;
        timing::check(prune_gpu_free(h));
      }
    }
    for (int64_t batch : o.batches) {
      const std::vector<timing::Times> &t = times[batch];
      for (size_t c = 0; c < cases.size(); ++c) {
        if (!ran[c]) {
          emit(format("| %s | %lld | %s | - | - | - | - | - | - | - | - |\n",
                      shape.c_str(), (long long)batch,
                      cases[c].variant.c_str()));
          continue;
        }
        double ms = t[c].median,
               bytes = megabytes[c] * 1e6 + 4.0 * batch * (in + out);
        emit(format("| %s | %lld | %s | %s | %.2f | %.4f | %.4f | %.4f | "
                    "%.2f | %.2f | %.0f |\n",
                    shape.c_str(), (long long)batch, cases[c].variant.c_str(),
                    formats[c].c_str(), megabytes[c], ms, t[c].min, t[c].max,
                    t[0].median / ms, t[1].median / ms,
                    bytes / (ms * 1e-3) / 1e9));
      }
    }
  }
  return 0;
}

#endif // PRUNE_OPT_BENCH_GPU
