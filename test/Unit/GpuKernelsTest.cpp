//===- GpuKernelsTest.cpp - The GPU kernels, run by the SIMT emulation ----===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// lib/GpuRuntime/Kernels.cuh compiled by the host compiler under SimtEmu.h
// (no CUDA needed) and launched through the same launch plan (launchFc) as
// on the device: every format and index width, batch 1 (warp per row), 3,
// 32 and 40 (row tiles, transposed x; dense: the tiled kernel), every
// epilogue, with padded strides, against a double-precision reference on
// the masked dense W and against the CPU kernel library (runStrided) on the
// same packed arrays. Also the emulation's own primitives.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Runtime/Kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

// Last: SimtEmu.h defines CUDA's keywords and built-ins as macros.
#include "SimtEmu.h"

#include "EmuLaunch.h"

#include "Kernels.cuh"

using namespace pruneopt;
using namespace pruneopt::gpu;
using pruneopt::gpu::test::EmuLaunch;

namespace {

enum class Pattern { Unstructured, Block, NM };

/// A random W [rows][cols] pruned by `pattern` (p x q blocks or p:q).
std::vector<float> makeWeight(int64_t rows, int64_t cols, Pattern pattern,
                              int p, int q, double sparsity,
                              std::mt19937 &rng) {
  std::uniform_real_distribution<float> val(-1, 1), u(0, 1);
  std::vector<float> w(rows * cols);
  for (float &v : w)
    v = val(rng);
  if (pattern == Pattern::Unstructured) {
    for (float &v : w)
      if (u(rng) < sparsity)
        v = 0;
    // An empty row and a full one.
    std::fill(w.begin() + 3 * cols, w.begin() + 4 * cols, 0.0f);
    for (int64_t k = 0; k < cols; ++k)
      w[5 * cols + k] = val(rng);
  } else if (pattern == Pattern::Block) {
    for (int64_t br = 0; br < rows / p; ++br)
      for (int64_t bc = 0; bc < cols / q; ++bc)
        if (br == 1 || u(rng) < sparsity) // block row 1 empty
          for (int i = 0; i < p; ++i)
            for (int j = 0; j < q; ++j)
              w[(br * p + i) * cols + bc * q + j] = 0;
  } else {
    // p of each q, sometimes fewer (packNM pads with explicit zeros).
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t g = 0; g < cols / q; ++g) {
        std::vector<int> idx(q);
        for (int j = 0; j < q; ++j)
          idx[j] = j;
        std::shuffle(idx.begin(), idx.end(), rng);
        int keep = u(rng) < 0.1 ? p - 1 : p;
        for (int j = keep; j < q; ++j)
          w[o * cols + g * q + idx[j]] = 0;
      }
  }
  return w;
}

/// The same packed csr/bsr weight with `bits`-wide column indices.
kernels::PackedWeight withColBits(kernels::PackedWeight p, int bits) {
  std::vector<int32_t> col;
  if (p.colBits == 8)
    col.assign(p.col8.begin(), p.col8.end());
  else if (p.colBits == 16)
    col.assign(p.col16.begin(), p.col16.end());
  else
    col = p.col32;
  p.col8.clear();
  p.col16.clear();
  p.col32.clear();
  p.colBits = bits;
  if (bits == 8)
    p.col8.assign(col.begin(), col.end());
  else if (bits == 16)
    p.col16.assign(col.begin(), col.end());
  else
    p.col32 = col;
  return p;
}

/// A layer under test: the masked dense W and its packed weight, which the
/// CPU library runs and the GPU view points into (dense: the GPU reads W
/// row-major, the CPU its panels).
struct Layer {
  std::string name;
  int64_t rows, cols;
  std::vector<float> w;
  kernels::PackedWeight packed;

  WeightView view() const {
    WeightView v;
    v.rows = rows;
    v.cols = cols;
    const kernels::PackedWeight &p = packed;
    v.values = p.values.data();
    switch (p.format) {
    case kernels::Format::Dense:
      v.format = GpuFormat::Dense;
      v.values = w.data();
      break;
    case kernels::Format::CSR:
    case kernels::Format::BSR:
      v.format =
          p.format == kernels::Format::CSR ? GpuFormat::CSR : GpuFormat::BSR;
      v.colBits = p.colBits;
      v.col = p.colBits == 8    ? static_cast<const void *>(p.col8.data())
              : p.colBits == 16 ? static_cast<const void *>(p.col16.data())
                                : static_cast<const void *>(p.col32.data());
      v.rowPtr = p.rowPtr.data();
      v.blockRows = int32_t(p.blockRows);
      v.blockCols = int32_t(p.blockCols);
      break;
    case kernels::Format::NM:
      v.format = GpuFormat::NM;
      v.n = int32_t(p.n);
      v.m = int32_t(p.m);
      v.codes = p.codes.data();
      break;
    default:
      ADD_FAILURE() << "no GPU layout for " << kernels::formatName(p.format);
    }
    return v;
  }
};

Layer makeLayer(const std::string &name, std::vector<float> w, int64_t rows,
                int64_t cols, kernels::PackedWeight packed) {
  return Layer{name, rows, cols, std::move(w), std::move(packed)};
}

std::vector<Layer> makeLayers() {
  std::mt19937 rng(7);
  std::vector<Layer> layers;
  std::vector<float> u =
      makeWeight(37, 70, Pattern::Unstructured, 1, 1, 0.9, rng);
  layers.push_back(
      makeLayer("dense", u, 37, 70, kernels::packDense(u.data(), 37, 70)));
  kernels::PackedWeight csr = kernels::packCSR(u.data(), 37, 70);
  EXPECT_EQ(csr.colBits, 8);
  layers.push_back(makeLayer("csr8", u, 37, 70, csr));
  layers.push_back(makeLayer("csr16", u, 37, 70, withColBits(csr, 16)));
  layers.push_back(makeLayer("csr32", u, 37, 70, withColBits(csr, 32)));
  // A dense layer with nothing pruned, wider than one K tile.
  std::vector<float> d =
      makeWeight(37, 70, Pattern::Unstructured, 1, 1, 0.0, rng);
  layers.push_back(
      makeLayer("dense-full", d, 37, 70, kernels::packDense(d.data(), 37, 70)));
  for (auto [r, c] : {std::pair<int, int>{4, 1}, {2, 2}, {1, 5}}) {
    std::vector<float> b = makeWeight(40, 70, Pattern::Block, r, c, 0.9, rng);
    kernels::PackedWeight p;
    EXPECT_TRUE(kernels::packBSR(b.data(), 40, 70, r, c, p));
    std::string name = "bsr" + std::to_string(r) + "x" + std::to_string(c);
    layers.push_back(makeLayer(name, b, 40, 70, p));
    if (r == 4)
      layers.push_back(
          makeLayer(name + "-col32", b, 40, 70, withColBits(p, 32)));
  }
  for (auto [n, m] : {std::pair<int, int>{2, 4}, {3, 8}}) {
    std::vector<float> s = makeWeight(37, 72, Pattern::NM, n, m, 0, rng);
    kernels::PackedWeight p;
    EXPECT_TRUE(kernels::packNM(s.data(), 37, 72, n, m, p));
    layers.push_back(
        makeLayer(std::to_string(n) + ":" + std::to_string(m), s, 37, 72, p));
  }
  return layers;
}

struct Epilogue {
  const char *name;
  bool acc, bias, relu;
};
constexpr Epilogue kEpilogues[] = {
    {"none", false, false, false},    {"accumulate", true, false, false},
    {"bias", false, true, false},     {"relu", false, false, true},
    {"bias+relu", false, true, true}, {"all", true, true, true}};

/// Runs `l` at `batch` with `e` on the emulated GPU and on the CPU library
/// and checks both against the double-precision reference; padding between
/// rows of x and y (strides cols + 3, rows + 5) must stay untouched.
void check(const Layer &l, int64_t batch, const Epilogue &e, std::mt19937 &rng,
           std::vector<std::string> *launched = nullptr) {
  SCOPED_TRACE(l.name + " batch " + std::to_string(batch) + " " + e.name);
  std::uniform_real_distribution<float> val(-1, 1);
  int64_t rows = l.rows, cols = l.cols, xs = cols + 3, ys = rows + 5;
  std::vector<float> x(batch * xs, NAN), y0(batch * ys, NAN), bias(rows);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t k = 0; k < cols; ++k)
      x[b * xs + k] = val(rng);
    for (int64_t o = 0; o < rows; ++o)
      y0[b * ys + o] = val(rng);
  }
  for (float &v : bias)
    v = val(rng);
  const float *b = e.bias ? bias.data() : nullptr;

  std::vector<float> gpu = y0, cpu = y0, xT(batch * cols, NAN);
  FcArgs a;
  a.y = gpu.data();
  a.ys = ys;
  a.x = x.data();
  a.xs = xs;
  a.batch = batch;
  a.flags = (e.acc ? kAccumulate : 0) | (e.relu ? kRelu : 0);
  a.bias = b;
  a.xT = xT.data();
  EmuLaunch launch;
  ASSERT_TRUE(launchFc(l.view(), a, launch));
  if (launched)
    *launched = launch.launched;
  kernels::runStrided(l.packed, x.data(), xs, 1, cpu.data(), ys, 1, batch,
                      e.acc, b, e.relu);

  for (int64_t bb = 0; bb < batch; ++bb) {
    for (int64_t o = 0; o < rows; ++o) {
      double ref = e.acc ? y0[bb * ys + o] : 0.0, mag = std::fabs(ref);
      for (int64_t k = 0; k < cols; ++k) {
        double t = double(l.w[o * cols + k]) * x[bb * xs + k];
        ref += t;
        mag += std::fabs(t);
      }
      if (e.bias) {
        ref += bias[o];
        mag += std::fabs(bias[o]);
      }
      if (e.relu)
        ref = std::max(ref, 0.0);
      double tol = 1e-5 * (mag + 1);
      float g = gpu[bb * ys + o], c = cpu[bb * ys + o];
      ASSERT_NEAR(g, ref, tol) << "gpu at b " << bb << " o " << o;
      ASSERT_NEAR(c, ref, tol) << "cpu at b " << bb << " o " << o;
      ASSERT_NEAR(g, c, tol) << "gpu vs cpu at b " << bb << " o " << o;
    }
    for (int64_t o = rows; o < ys && bb * ys + o < int64_t(gpu.size()); ++o)
      ASSERT_TRUE(std::isnan(gpu[bb * ys + o])) << "wrote padding at " << o;
  }
}

} // namespace

bool isMain(const Layer &l) {
  return l.name == "dense" || l.name == "csr8" || l.name == "bsr4x1" ||
         l.name == "2:4";
}

// The task's matrix: every kernel (dense, csr, bsr, nm) x batch 1, 3, 32
// (and 40: a partial second batch tile) x every epilogue.
TEST(GpuKernels, EveryFormatBatchAndEpilogue) {
  std::mt19937 rng(11);
  for (const Layer &l : makeLayers())
    if (isMain(l))
      for (int64_t batch : {1, 3, 32, 40})
        for (const Epilogue &e : kEpilogues)
          check(l, batch, e, rng);
}

// Index widths (u16, i32 columns), other block shapes, a generic N:M and an
// unpruned dense layer, on both paths, plain and with every epilogue.
TEST(GpuKernels, IndexWidthsAndShapes) {
  std::mt19937 rng(13);
  for (const Layer &l : makeLayers())
    if (!isMain(l))
      for (int64_t batch : {1, 3, 40})
        for (const Epilogue &e : {kEpilogues[0], kEpilogues[5]})
          check(l, batch, e, rng);
}

TEST(GpuKernels, LaunchPlan) {
  std::mt19937 rng(3);
  std::vector<Layer> layers = makeLayers();
  auto launched = [&](const std::string &name, int64_t batch) {
    std::vector<std::string> names;
    for (const Layer &l : layers)
      if (l.name == name)
        check(l, batch, kEpilogues[0], rng, &names);
    return names;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(launched("csr8", 1), V{"warp_rows<csr8>"});
  EXPECT_EQ(launched("csr16", 3), (V{"transpose_x<>", "tile_rows<csr16>"}));
  EXPECT_EQ(launched("dense", 1), V{"warp_rows<dense>"});
  EXPECT_EQ(launched("dense", 32), V{"dense_tiled<dense>"});
  EXPECT_EQ(launched("bsr4x1", 1), V{"warp_rows<bsr8>"});
  EXPECT_EQ(launched("bsr4x1-col32", 40),
            (V{"transpose_x<>", "tile_rows<bsr32>"}));
  EXPECT_EQ(launched("2:4", 1), V{"warp_rows<nm24>"});
  EXPECT_EQ(launched("3:8", 32), (V{"transpose_x<>", "tile_rows<nm>"}));
}

/// Records what launchFc would launch, without running it.
struct PlanRecorder {
  std::vector<PlanStep> steps;
  template <typename... P, typename... A>
  bool operator()(const char *kernel, const char *layout, void (*)(P...),
                  dim3 grid, dim3 block, A...) {
    EXPECT_EQ(block.x, unsigned(kBlockThreads));
    std::string k = kernel;
    // The entry points of GpuEntries.def: <kernel>_<layout>, but for the
    // two kernels of a single layout.
    std::string entry =
        k == "dense_tiled" || k == "transpose_x" ? k : k + "_" + layout;
    steps.push_back({entry, grid.x, grid.y});
    return true;
  }
};

// nn-lower-gpu-calls launches what GpuPlan.h's planFc says; the kernels'
// own launch plan (launchFc, which libPruneOptGpu and these tests use) must
// be the same launches with the same grids, for every layout and batch.
TEST(GpuKernels, CompiledModelsLaunchWhatLaunchFcLaunches) {
  for (const Layer &l : makeLayers())
    for (int64_t batch : {1, 3, 32, 40, 100}) {
      SCOPED_TRACE(l.name + " batch " + std::to_string(batch));
      FcArgs a;
      a.batch = batch;
      PlanRecorder recorder;
      ASSERT_TRUE(launchFc(l.view(), a, recorder));
      std::string layout = recorder.steps.back().entry;
      layout = layout.substr(layout.rfind('_') + 1);
      if (layout == "tiled") // dense_tiled
        layout = "dense";
      std::vector<PlanStep> plan = planFc(layout, l.rows, l.cols, batch);
      ASSERT_EQ(plan.size(), recorder.steps.size());
      for (size_t i = 0; i < plan.size(); ++i) {
        EXPECT_EQ(plan[i].entry, recorder.steps[i].entry);
        EXPECT_EQ(plan[i].gridX, recorder.steps[i].gridX);
        EXPECT_EQ(plan[i].gridY, recorder.steps[i].gridY);
      }
      // The xT scratch, exactly when the plan transposes.
      EXPECT_EQ(planScratchFloats(layout, l.rows, l.cols, batch),
                plan.size() == 2 ? l.cols * batch : 0);
    }
}

// ReLU keeps NaN (max(0, v) as 0 > v ? 0 : v), like the CPU kernels.
TEST(GpuKernels, ReluKeepsNaN) {
  std::mt19937 rng(5);
  std::vector<float> w =
      makeWeight(8, 32, Pattern::Unstructured, 1, 1, 0.5, rng);
  std::vector<float> bias(8, -100.0f);
  bias[2] = NAN;
  for (Layer l :
       {makeLayer("dense", w, 8, 32, kernels::packDense(w.data(), 8, 32)),
        makeLayer("csr", w, 8, 32, kernels::packCSR(w.data(), 8, 32))})
    for (int64_t batch : {1, 3}) {
      std::vector<float> x(batch * 32, 1.0f), y(batch * 8, 5.0f),
          xT(batch * 32);
      FcArgs a;
      a.y = y.data();
      a.ys = 8;
      a.x = x.data();
      a.xs = 32;
      a.batch = batch;
      a.flags = kRelu;
      a.bias = bias.data();
      a.xT = xT.data();
      ASSERT_TRUE(launchFc(l.view(), a, EmuLaunch()));
      for (int64_t b = 0; b < batch; ++b)
        for (int o = 0; o < 8; ++o)
          if (o == 2)
            EXPECT_TRUE(std::isnan(y[b * 8 + o])) << l.name;
          else
            EXPECT_EQ(y[b * 8 + o], 0.0f) << l.name;
    }
}

// The epilogue kernel the cuBLAS baseline runs after sgemv/sgemm: bias and
// ReLU on y in place (never the accumulation: cuBLAS's beta did it).
TEST(GpuKernels, EpilogueAfterCublas) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> val(-1, 1);
  const int64_t rows = 37, ys = 40;
  std::vector<float> bias(rows);
  for (float &v : bias)
    v = val(rng);
  bias[4] = NAN;
  for (int64_t batch : {1, 3, 32})
    for (const Epilogue &e : kEpilogues) {
      std::vector<float> y(batch * ys);
      for (float &v : y)
        v = val(rng);
      std::vector<float> want = y;
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t o = 0; o < rows; ++o) {
          float &v = want[b * ys + o];
          if (e.bias)
            v += bias[o];
          if (e.relu)
            v = 0.0f > v ? 0.0f : v;
        }
      FcArgs a;
      a.y = y.data();
      a.ys = ys;
      a.batch = batch;
      a.flags = (e.acc ? kAccumulate : 0) | (e.relu ? kRelu : 0);
      a.bias = e.bias ? bias.data() : nullptr;
      EmuLaunch launch;
      ASSERT_TRUE(launchEpilogue(rows, a, launch));
      EXPECT_EQ(launch.launched.size(), e.bias || e.relu ? 1u : 0u);
      for (size_t i = 0; i < y.size(); ++i)
        if (std::isnan(want[i]))
          EXPECT_TRUE(std::isnan(y[i])) << e.name << " at " << i;
        else
          EXPECT_EQ(y[i], want[i]) << e.name << " at " << i;
    }
}

// The emulation's primitives.

namespace {
int shuffleOut[64];
void shuffleKernel(int which) {
  int lane = threadIdx.x % 32, v = int(threadIdx.x) * 10;
  int r = which == 0   ? __shfl_down_sync(0xffffffffu, v, 3)
          : which == 1 ? __shfl_up_sync(0xffffffffu, v, 3)
          : which == 2 ? __shfl_xor_sync(0xffffffffu, v, 5)
          : which == 3 ? __shfl_sync(0xffffffffu, v, 7)
                       : __shfl_down_sync(0xffffffffu, v, 3, 8);
  (void)lane;
  shuffleOut[threadIdx.x] = r;
}

float sharedOut[4][64];
void syncKernel() {
  __shared__ float s[64];
  s[threadIdx.x] = float(blockIdx.x * 100 + threadIdx.x);
  if (threadIdx.x >= 48)
    return; // leaves the block's barrier
  __syncthreads();
  // Reads another warp's value: only right after the barrier.
  sharedOut[blockIdx.x][threadIdx.x] = s[(threadIdx.x + 32) % 64];
}

void partialShuffleKernel() {
  if (threadIdx.x % 32 == 31)
    return;
  (void)__shfl_down_sync(0xffffffffu, 1.0f, 1);
}
} // namespace

TEST(SimtEmu, Shuffles) {
  for (int which = 0; which < 5; ++which) {
    ASSERT_EQ(simt::launch(dim3(1), dim3(64), [&] { shuffleKernel(which); }),
              "");
    for (int t = 0; t < 64; ++t) {
      int lane = t % 32, base = t - lane, src;
      switch (which) {
      case 0:
        src = lane + 3 < 32 ? t + 3 : t;
        break;
      case 1:
        src = lane >= 3 ? t - 3 : t;
        break;
      case 2:
        src = base + (lane ^ 5);
        break;
      case 3:
        src = base + 7;
        break;
      default:
        src = lane % 8 + 3 < 8 ? t + 3 : t;
      }
      EXPECT_EQ(shuffleOut[t], src * 10)
          << "shuffle " << which << " lane " << t;
    }
  }
}

TEST(SimtEmu, SyncthreadsAndExitedThreads) {
  ASSERT_EQ(simt::launch(dim3(4), dim3(64), syncKernel), "");
  for (int b = 0; b < 4; ++b)
    for (int t = 0; t < 48; ++t)
      EXPECT_EQ(sharedOut[b][t], float(b * 100 + (t + 32) % 64));
}

TEST(SimtEmu, RejectsWhatItDoesNotEmulate) {
  EXPECT_NE(simt::launch(dim3(1), dim3(48), [] {}), "");
  EXPECT_NE(simt::launch(dim3(0), dim3(32), [] {}), "");
  std::string error = simt::launch(dim3(2), dim3(64), partialShuffleKernel);
  EXPECT_NE(error.find("shuffle"), std::string::npos) << error;
}
