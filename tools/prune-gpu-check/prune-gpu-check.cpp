//===- prune-gpu-check.cpp - The GPU kernels on a GPU, checked and timed --===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// For the day a GPU is lent (scripts/gpu-check.sh builds it with nvcc
// alone: no LLVM, no MLIR, no CMake). Generates an N x N layer (default
// 4096) with a fixed seed, pruned four ways (dense, 90 % unstructured ->
// csr, 4x1 blocks at 90 % -> bsr, 2:4 -> nm), uploads each once
// (libPruneOptGpu.so: weights resident), and for each batch (default 1 and
// 32):
// - times our kernels and cuBLAS (sgemv at batch 1, sgemm otherwise) on
//   the same masked weight, in the same run: warm-up calls, then the median
//   of --iters calls, each timed by CUDA events around the call (launch
//   included) on device-resident x and y, with L2 flushed before each call
//   (unless --no-flush);
// - checks both outputs, and our kernels' output with bias + ReLU, against
//   the CPU kernel library's runStrided on the same packed weight.
// Prints a table: format, batch, weight MB, GPU ms, cuBLAS ms, speedup,
// max error. Then the 16-bit paths, in the same run: the 2:4 weight on the
// sparse tensor cores with f16 and with bf16 values
// (prune_gpu_upload_nm24_sptc) against cuBLASLt's dense f16 GEMM of the
// same weight (prune_gpu_upload_dense_cublaslt_f16), timed the same way;
// each output is checked against the 16-bit model -- W and x rounded to
// the type, then summed in double: only the f32 accumulation differs, so
// the tolerance is --tolerance's -- and its distance from the f32 CPU
// library is reported and bounded loosely (f16 4e-3, bf16 3e-2 of max |y|:
// over ten times the 2.2e-4 / 1.9e-3 that rounding both operands gives on
// the default layer at batch 32, computed on the host) to catch a wrong
// layout, not to grade accuracy.
// Exit status: 0 all within tolerance, 1 a mismatch, 2 an error (no
// device, a failing CUDA call: the message names it).
//
//===----------------------------------------------------------------------===//

#include "prune-opt/GpuRuntime/GpuRuntime.h"
#include "prune-opt/Runtime/Kernels.h"

#include "Float16.h"   // lib/GpuRuntime: f16/bf16 rounding as the device's
#include "GpuTiming.h" // lib/GpuRuntime: the timing prune-bench --gpu shares

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace pruneopt::kernels;
using pruneopt::gpu::timing::check;
using pruneopt::gpu::timing::checkCuda;
using pruneopt::gpu::timing::DeviceBuffer;
using pruneopt::gpu::timing::Timer;

/// Errors (the message names the failing call): exit status 2.
[[noreturn]] void pruneopt::gpu::timing::fail(const std::string &message) {
  std::fprintf(stderr, "prune-gpu-check: error: %s\n", message.c_str());
  std::exit(2);
}

namespace {
struct Options {
  int64_t size = 4096;
  std::vector<int64_t> batches = {1, 32};
  int iters = 50, warmup = 5;
  unsigned seed = 1;
  double sparsity = 0.9;
  bool flush = true;
  double tolerance = 1e-4;
};

[[noreturn]] void usage(const char *error) {
  if (error)
    std::fprintf(stderr, "prune-gpu-check: %s\n", error);
  std::fprintf(stderr, "usage: prune-gpu-check [--size N] [--batches 1,32] "
                       "[--iters N] [--warmup N] [--seed S] [--sparsity F] "
                       "[--no-flush] [--tolerance F]\n");
  std::exit(2);
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc)
        usage((a + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--size")
      o.size = std::atoll(value());
    else if (a == "--iters")
      o.iters = std::atoi(value());
    else if (a == "--warmup")
      o.warmup = std::atoi(value());
    else if (a == "--seed")
      o.seed = unsigned(std::strtoul(value(), nullptr, 10));
    else if (a == "--sparsity")
      o.sparsity = std::atof(value());
    else if (a == "--tolerance")
      o.tolerance = std::atof(value());
    else if (a == "--no-flush")
      o.flush = false;
    else if (a == "--batches") {
      o.batches.clear();
      std::string list = value();
      for (size_t p = 0; p < list.size();) {
        size_t q = list.find(',', p);
        o.batches.push_back(std::atoll(list.substr(p, q - p).c_str()));
        p = q == std::string::npos ? list.size() : q + 1;
      }
    } else if (a == "--help" || a == "-h")
      usage(nullptr);
    else
      usage(("unknown option " + a).c_str());
  }
  if (o.size < 16 || o.size % 16)
    usage("--size must be a multiple of 16");
  if (o.iters < 1 || o.warmup < 0)
    usage("--iters must be at least 1 and --warmup at least 0");
  for (int64_t b : o.batches)
    if (b < 1)
      usage("batches must be at least 1");
  if (!(o.sparsity >= 0 && o.sparsity < 1))
    usage("--sparsity must be in [0, 1)");
  return o;
}

[[noreturn]] void die(const std::string &message) {
  pruneopt::gpu::timing::fail(message);
}

/// One pruned variant of the layer.
struct Variant {
  std::string name;
  std::vector<float> w; // masked, row-major
  PackedWeight packed;  // what the CPU library runs (dense: panels)
};

std::vector<Variant> makeVariants(const Options &o) {
  int64_t n = o.size;
  std::mt19937 rng(o.seed);
  std::uniform_real_distribution<float> val(-1, 1), u(0, 1);
  std::vector<float> w(n * n);
  for (float &v : w)
    v = val(rng);
  std::vector<Variant> out;
  int pct = int(std::lround(o.sparsity * 100));

  Variant dense{"dense", w, packDense(w.data(), n, n)};
  out.push_back(std::move(dense));

  std::vector<float> uw = w;
  for (float &v : uw)
    if (u(rng) < o.sparsity)
      v = 0.0f;
  PackedWeight csr = packCSR(uw.data(), n, n);
  out.push_back(
      {"csr " + std::to_string(pct) + "%", std::move(uw), std::move(csr)});

  std::vector<float> bw = w;
  for (int64_t br = 0; br < n / 4; ++br)
    for (int64_t k = 0; k < n; ++k)
      if (u(rng) < o.sparsity)
        for (int i = 0; i < 4; ++i)
          bw[(br * 4 + i) * n + k] = 0.0f;
  PackedWeight bsr;
  if (!packBSR(bw.data(), n, n, 4, 1, bsr))
    die("packBSR failed");
  out.push_back(
      {"bsr 4x1 " + std::to_string(pct) + "%", std::move(bw), std::move(bsr)});

  // 2:4 by magnitude: the two largest of each group of four.
  std::vector<float> nw = w;
  for (int64_t g = 0; g < n * n / 4; ++g) {
    float *p = &nw[g * 4];
    int order[4] = {0, 1, 2, 3};
    std::sort(order, order + 4,
              [&](int a, int b) { return std::fabs(p[a]) > std::fabs(p[b]); });
    p[order[2]] = p[order[3]] = 0.0f;
  }
  PackedWeight nm;
  if (!packNM(nw.data(), n, n, 2, 4, nm))
    die("packNM failed");
  out.push_back({"nm 2:4", std::move(nw), std::move(nm)});
  return out;
}

/// max |got - want| / max(max |want|, 1e-30).
double maxError(const std::vector<float> &got, const std::vector<float> &want) {
  double err = 0, scale = 1e-30;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(got[i]) != std::isnan(want[i]))
      return INFINITY;
    if (!std::isnan(want[i])) {
      err = std::max(err, double(std::fabs(got[i] - want[i])));
      scale = std::max(scale, double(std::fabs(want[i])));
    }
  }
  return err / scale;
}
} // namespace

/// The 16-bit paths of the 2:4 variant `nm` (see the top of the file):
/// prints their table; false if an output is off.
static bool runSixteenBit(const Options &o, const Variant &nm,
                          const std::vector<float> &bias, DeviceBuffer &dx,
                          DeviceBuffer &dy, Timer &timer, std::mt19937 &rng);

int main(int argc, char **argv) {
  Options o = parse(argc, argv);
  int32_t devices = 0;
  check(prune_gpu_init(&devices));
  std::printf("device: %s\n", pruneopt::gpu::timing::describeDevice().c_str());
  std::printf("layer %lldx%lld, seed %u, median of %d calls after %d "
              "warm-up, CUDA events around each call (launch included), "
              "L2 %s\n",
              (long long)o.size, (long long)o.size, o.seed, o.iters, o.warmup,
              o.flush ? "flushed before each call" : "not flushed");

  int64_t n = o.size,
          maxBatch = *std::max_element(o.batches.begin(), o.batches.end());
  std::mt19937 rng(o.seed + 1);
  std::uniform_real_distribution<float> val(-1, 1);
  std::vector<float> bias(n);
  for (float &v : bias)
    v = val(rng);
  DeviceBuffer dx(maxBatch * n), dy(maxBatch * n), dyBlas(maxBatch * n);
  Timer timer(o.iters, o.warmup, o.flush);

  std::vector<Variant> variants = makeVariants(o);
  std::printf("\n%-14s %5s %9s %9s %10s %8s %10s %10s\n", "format", "batch",
              "weight MB", "GPU ms", "cuBLAS ms", "speedup", "max err",
              "cuBLAS err");
  bool ok = true;
  for (const Variant &v : variants) {
    prune_gpu_weight *w =
        pruneopt::gpu::timing::upload(v.packed, v.w.data(), bias.data());
    prune_gpu_weight *blas = nullptr;
    check(prune_gpu_upload_dense_cublas(&blas, n, n, v.w.data(), bias.data()));
    for (int64_t batch : o.batches) {
      std::vector<float> x(batch * n);
      for (float &e : x)
        e = val(rng);
      checkCuda(cudaMemcpy(dx.ptr, x.data(), x.size() * sizeof(float),
                           cudaMemcpyHostToDevice),
                "cudaMemcpy (x)");
      auto ours = [&](int32_t flags) {
        return prune_gpu_fc_device(w, dy.ptr, n, dx.ptr, n, batch, flags,
                                   nullptr, nullptr);
      };
      auto theirs = [&](int32_t flags) {
        return prune_gpu_fc_device(blas, dyBlas.ptr, n, dx.ptr, n, batch, flags,
                                   nullptr, nullptr);
      };
      double gpuMs = timer.time([&] { return ours(0); }).median;
      double blasMs = timer.time([&] { return theirs(0); }).median;

      // Outputs: y = x W^T, then with bias + ReLU, against the CPU library.
      double err = 0, blasErr = 0;
      for (int32_t flags : {0, int32_t(PRUNE_GPU_BIAS | PRUNE_GPU_RELU)}) {
        check(ours(flags));
        check(theirs(flags));
        std::vector<float> got(batch * n), gotBlas(batch * n), want(batch * n);
        checkCuda(cudaMemcpy(got.data(), dy.ptr, got.size() * sizeof(float),
                             cudaMemcpyDeviceToHost),
                  "cudaMemcpy (y, after our kernels)");
        checkCuda(cudaMemcpy(gotBlas.data(), dyBlas.ptr,
                             gotBlas.size() * sizeof(float),
                             cudaMemcpyDeviceToHost),
                  "cudaMemcpy (y, after cuBLAS)");
        bool epilogue = flags != 0;
        runStrided(v.packed, x.data(), n, 1, want.data(), n, 1, batch, false,
                   epilogue ? bias.data() : nullptr, epilogue);
        err = std::max(err, maxError(got, want));
        blasErr = std::max(blasErr, maxError(gotBlas, want));
      }
      bool pass = err <= o.tolerance && blasErr <= o.tolerance;
      ok &= pass;
      std::printf("%-14s %5lld %9.2f %9.4f %10.4f %7.2fx %10.2e %10.2e%s\n",
                  v.name.c_str(), (long long)batch,
                  double(prune_gpu_weight_bytes(w)) / 1e6, gpuMs, blasMs,
                  blasMs / gpuMs, err, blasErr, pass ? "" : "  MISMATCH");
      std::fflush(stdout);
    }
    check(prune_gpu_free(w));
    check(prune_gpu_free(blas));
  }
  ok &= runSixteenBit(o, variants.back(), bias, dx, dy, timer, rng);
  std::printf("\n%s: max error relative to max |y| of the CPU kernel library "
              "(16-bit paths: of the 16-bit model), tolerance %.0e\n",
              ok ? "PASS" : "FAIL", o.tolerance);
  return ok ? 0 : 1;
}

namespace {
/// y = x W^T (+ bias, ReLU) in double on W and x rounded to `type`: the
/// 16-bit model of a 2:4 weight (nonzeros only).
std::vector<float> sixteenBitModel(const std::vector<float> &w, int64_t n,
                                   const std::vector<float> &x, int64_t batch,
                                   pruneopt::gpu::SptcType type,
                                   const float *bias) {
  using pruneopt::gpu::roundToSixteen;
  std::vector<float> xr(x.size()), y(batch * n);
  for (size_t i = 0; i < x.size(); ++i)
    xr[i] = roundToSixteen(type, x[i]);
  for (int64_t o = 0; o < n; ++o) {
    std::vector<std::pair<int64_t, double>> row;
    for (int64_t k = 0; k < n; ++k)
      if (w[o * n + k] != 0.0f)
        row.push_back({k, roundToSixteen(type, w[o * n + k])});
    for (int64_t b = 0; b < batch; ++b) {
      double s = 0;
      for (auto [k, v] : row)
        s += v * xr[b * n + k];
      if (bias)
        s = std::max(s + bias[o], 0.0);
      y[b * n + o] = float(s);
    }
  }
  return y;
}
} // namespace

static bool runSixteenBit(const Options &o, const Variant &nm,
                          const std::vector<float> &bias, DeviceBuffer &dx,
                          DeviceBuffer &dy, Timer &timer, std::mt19937 &rng) {
  using pruneopt::gpu::SptcType;
  int64_t n = o.size;
  std::uniform_real_distribution<float> val(-1, 1);
  struct Path {
    const char *name;
    SptcType type;
    double f32Tolerance;
    prune_gpu_weight *w = nullptr;
  };
  Path paths[] = {{"cublasLt f16 dense", SptcType::F16, 4e-3},
                  {"2:4 sptc f16", SptcType::F16, 4e-3},
                  {"2:4 sptc bf16", SptcType::BF16, 3e-2}};
  check(prune_gpu_upload_dense_cublaslt_f16(&paths[0].w, n, n, nm.w.data(),
                                            bias.data()));
  check(prune_gpu_upload_nm24_sptc(&paths[1].w, n, n, nm.w.data(), bias.data(),
                                   PRUNE_GPU_F16));
  check(prune_gpu_upload_nm24_sptc(&paths[2].w, n, n, nm.w.data(), bias.data(),
                                   PRUNE_GPU_BF16));
  std::printf("\n16-bit W and x, f32 accumulation: the 2:4 weight on the "
              "sparse tensor cores against\ncuBLASLt's dense f16 GEMM, same "
              "run (speedup: cuBLASLt ms / GPU ms; max err: against the\n"
              "16-bit model; f32 err: against the f32 CPU library)\n");
  std::printf("%-18s %5s %9s %9s %8s %10s %10s\n", "format", "batch",
              "weight MB", "GPU ms", "speedup", "max err", "f32 err");
  bool ok = true;
  for (int64_t batch : o.batches) {
    std::vector<float> x(batch * n);
    for (float &e : x)
      e = val(rng);
    checkCuda(cudaMemcpy(dx.ptr, x.data(), x.size() * sizeof(float),
                         cudaMemcpyHostToDevice),
              "cudaMemcpy (x)");
    // The f32 CPU library's outputs, without and with bias + ReLU.
    std::vector<float> f32[2];
    for (int e = 0; e < 2; ++e) {
      f32[e].resize(batch * n);
      runStrided(nm.packed, x.data(), n, 1, f32[e].data(), n, 1, batch, false,
                 e ? bias.data() : nullptr, e != 0);
    }
    std::vector<float> model[2][2]; // [f16, bf16][epilogue]
    for (int t = 0; t < 2; ++t)
      for (int e = 0; e < 2; ++e)
        model[t][e] = sixteenBitModel(nm.w, n, x, batch,
                                      t ? SptcType::BF16 : SptcType::F16,
                                      e ? bias.data() : nullptr);
    double baselineMs = 0;
    for (Path &p : paths) {
      auto call = [&](int32_t flags) {
        return prune_gpu_fc_device(p.w, dy.ptr, n, dx.ptr, n, batch, flags,
                                   nullptr, nullptr);
      };
      double ms = timer.time([&] { return call(0); }).median;
      if (&p == &paths[0])
        baselineMs = ms;
      double err = 0, f32Err = 0;
      for (int e = 0; e < 2; ++e) {
        check(call(e ? int32_t(PRUNE_GPU_BIAS | PRUNE_GPU_RELU) : 0));
        std::vector<float> got(batch * n);
        checkCuda(cudaMemcpy(got.data(), dy.ptr, got.size() * sizeof(float),
                             cudaMemcpyDeviceToHost),
                  "cudaMemcpy (y, after a 16-bit path)");
        err = std::max(err, maxError(got, model[p.type == SptcType::BF16][e]));
        f32Err = std::max(f32Err, maxError(got, f32[e]));
      }
      bool pass = err <= o.tolerance && f32Err <= p.f32Tolerance;
      ok &= pass;
      std::printf("%-18s %5lld %9.2f %9.4f %7.2fx %10.2e %10.2e%s\n", p.name,
                  (long long)batch, double(prune_gpu_weight_bytes(p.w)) / 1e6,
                  ms, baselineMs / ms, err, f32Err, pass ? "" : "  MISMATCH");
      std::fflush(stdout);
    }
  }
  for (Path &p : paths)
    check(prune_gpu_free(p.w));
  return ok;
}
