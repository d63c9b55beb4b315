//===- GpuRuntimeTest.cpp - libPruneOptGpu.so's C API ---------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Built when CUDA is found (PruneOptGpuRuntimeTests). Without a usable
// device (no driver, no GPU: this machine), every call that needs the
// device must fail with an error code and a message naming the CUDA call,
// and nothing may crash. Argument checks come before any CUDA call. With a
// device, every format runs against the CPU kernel library, and the 2:4
// sparse tensor cores and the cuBLASLt f16 baseline against it on the
// 16-bit-rounded operands.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/GpuRuntime/GpuRuntime.h"
#include "prune-opt/Runtime/Kernels.h"

#include "Float16.h" // lib/GpuRuntime: the rounding of the 16-bit paths

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace pruneopt::kernels;

namespace {
bool hasDevice() {
  int32_t count = 0;
  return prune_gpu_init(&count) == PRUNE_GPU_OK && count > 0;
}

std::string lastError() { return prune_gpu_last_error(); }

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// Uploads `p` (csr, bsr, nm) or the row-major `w` (dense, with cuBLAS if
/// `cublas`) with `bias`.
int upload(prune_gpu_weight **out, const PackedWeight &p,
           const std::vector<float> &w, const float *bias,
           bool cublas = false) {
  const void *col = p.colBits == 8 ? static_cast<const void *>(p.col8.data())
                    : p.colBits == 16
                        ? static_cast<const void *>(p.col16.data())
                        : static_cast<const void *>(p.col32.data());
  switch (p.format) {
  case Format::Dense:
    return cublas ? prune_gpu_upload_dense_cublas(out, p.rows, p.cols, w.data(),
                                                  bias)
                  : prune_gpu_upload_dense(out, p.rows, p.cols, w.data(), bias);
  case Format::CSR:
    return prune_gpu_upload_csr(out, p.rows, p.cols, p.rowPtr.data(), col,
                                p.colBits, p.values.data(), bias);
  case Format::BSR:
    return prune_gpu_upload_bsr(out, p.rows, p.cols, p.blockRows, p.blockCols,
                                p.rowPtr.data(), col, p.colBits,
                                p.values.data(), bias);
  case Format::NM:
    return prune_gpu_upload_nm(out, p.rows, p.cols, p.n, p.m, p.codes.data(),
                               p.values.data(), bias);
  default:
    ADD_FAILURE() << "no GPU upload for " << formatName(p.format);
    return -1;
  }
}

struct Weights {
  std::vector<float> w; // masked, row-major
  std::vector<PackedWeight> packs;
  std::vector<std::string> names;
};

/// 40 x 72 weights: unstructured 90 % (csr), 4x1 blocks (bsr), 2:4 (nm),
/// dense; all in one W per pattern.
std::vector<Weights> makeWeights() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> val(-1, 1), u(0, 1);
  std::vector<Weights> all;
  const int64_t rows = 40, cols = 72;
  for (int pattern = 0; pattern < 3; ++pattern) {
    Weights ws;
    ws.w.resize(rows * cols);
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t k = 0; k < cols; ++k) {
        float v = val(rng);
        bool keep = pattern == 0   ? u(rng) > 0.9f
                    : pattern == 1 ? (o / 4 * 7 + k) % 10 == 0
                                   : (k % 4 == o % 3 || k % 4 == 3);
        ws.w[o * cols + k] = keep ? v : 0.0f;
      }
    ws.packs.push_back(packDense(ws.w.data(), rows, cols));
    ws.names.push_back("dense");
    PackedWeight p;
    if (pattern == 0) {
      ws.packs.push_back(packCSR(ws.w.data(), rows, cols));
      ws.names.push_back("csr");
    } else if (pattern == 1) {
      EXPECT_TRUE(packBSR(ws.w.data(), rows, cols, 4, 1, p));
      ws.packs.push_back(p);
      ws.names.push_back("bsr4x1");
    } else {
      EXPECT_TRUE(packNM(ws.w.data(), rows, cols, 2, 4, p));
      ws.packs.push_back(p);
      ws.names.push_back("nm2:4");
    }
    all.push_back(std::move(ws));
  }
  return all;
}
} // namespace

TEST(GpuRuntime, WithoutADeviceEveryCallFailsCleanly) {
  int32_t count = -1;
  int status = prune_gpu_init(&count);
  if (status == PRUNE_GPU_OK && count > 0)
    GTEST_SKIP() << "a CUDA device is present (GpuRuntime.OnTheDevice runs)";
  EXPECT_EQ(status, PRUNE_GPU_CUDA_ERROR);
  EXPECT_EQ(count, 0);
  // "cudaGetDeviceCount: CUDA driver version is insufficient for CUDA
  // runtime version (cudaErrorInsufficientDriver)" without a driver, "...:
  // no CUDA-capable device is detected (cudaErrorNoDevice)" without a GPU.
  EXPECT_TRUE(startsWith(lastError(), "cudaGetDeviceCount: ")) << lastError();
  EXPECT_NE(lastError().find("(cudaError"), std::string::npos) << lastError();

  std::vector<float> bias(40, 0.5f);
  for (const Weights &ws : makeWeights())
    for (size_t i = 0; i < ws.packs.size(); ++i)
      for (bool cublas : {false, true}) {
        if (cublas && ws.packs[i].format != Format::Dense)
          continue;
        SCOPED_TRACE(ws.names[i] + (cublas ? " (cublas)" : ""));
        prune_gpu_weight *w = reinterpret_cast<prune_gpu_weight *>(1);
        EXPECT_EQ(upload(&w, ws.packs[i], ws.w, bias.data(), cublas),
                  PRUNE_GPU_CUDA_ERROR);
        EXPECT_EQ(w, nullptr);
        // The first array's allocation: "cudaMalloc (csr row pointers, 164
        // bytes): CUDA driver version is insufficient ...".
        EXPECT_TRUE(startsWith(lastError(), "cudaMalloc (")) << lastError();
        EXPECT_NE(lastError().find(" bytes): "), std::string::npos)
            << lastError();
        EXPECT_NE(lastError().find("(cudaError"), std::string::npos)
            << lastError();
      }

  // The 16-bit paths: the 2:4 weight of makeWeights() (pattern 2).
  std::vector<Weights> all = makeWeights();
  const std::vector<float> &w24 = all[2].w;
  for (int which = 0; which < 3; ++which) {
    SCOPED_TRACE(which);
    prune_gpu_weight *w = reinterpret_cast<prune_gpu_weight *>(1);
    int status = which == 2 ? prune_gpu_upload_dense_cublaslt_f16(
                                  &w, 40, 72, w24.data(), bias.data())
                            : prune_gpu_upload_nm24_sptc(
                                  &w, 40, 72, w24.data(), bias.data(),
                                  which ? PRUNE_GPU_BF16 : PRUNE_GPU_F16);
    EXPECT_EQ(status, PRUNE_GPU_CUDA_ERROR);
    EXPECT_EQ(w, nullptr);
    // The f16 upload's first call is its allocation; the sparse tensor
    // core upload asks for the device's compute capability first.
    EXPECT_TRUE(startsWith(lastError(), which == 2
                                            ? "cudaMalloc (f16 dense values, "
                                            : "cudaGetDevice: "))
        << lastError();
    EXPECT_NE(lastError().find("(cudaError"), std::string::npos) << lastError();
  }

  std::vector<float> x(72, 1.0f), y(40);
  EXPECT_EQ(prune_gpu_fc(nullptr, y.data(), 40, x.data(), 72, 1, 0, nullptr),
            PRUNE_GPU_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "prune_gpu_fc: the weight is null");
  EXPECT_EQ(prune_gpu_fc_device(nullptr, y.data(), 40, x.data(), 72, 1, 0,
                                nullptr, nullptr),
            PRUNE_GPU_INVALID_ARGUMENT);
  EXPECT_EQ(prune_gpu_free(nullptr), PRUNE_GPU_OK);
  EXPECT_EQ(prune_gpu_weight_bytes(nullptr), 0);
}

// Bad arrays are refused before anything touches the device, with or
// without one.
TEST(GpuRuntime, ArgumentsAreCheckedFirst) {
  prune_gpu_weight *w = nullptr;
  int32_t rowPtr[3] = {0, 2, 3};
  uint8_t col[3] = {0, 5, 9};
  float values[6] = {1, 2, 3, 4, 5, 6};
  auto expectInvalid = [&](int status, const char *prefix) {
    EXPECT_EQ(status, PRUNE_GPU_INVALID_ARGUMENT) << prefix;
    EXPECT_TRUE(startsWith(lastError(), prefix)) << lastError();
    EXPECT_EQ(w, nullptr);
  };
  expectInvalid(prune_gpu_upload_csr(&w, 2, 9, rowPtr, col, 8, values, nullptr),
                "prune_gpu_upload_csr: column index 9 at 2 is out of [0, 9)");
  expectInvalid(
      prune_gpu_upload_csr(&w, 2, 10, rowPtr, col, 12, values, nullptr),
      "prune_gpu_upload_csr: colBits must be 8, 16 or 32");
  int32_t down[3] = {0, 3, 2};
  expectInvalid(prune_gpu_upload_csr(&w, 2, 10, down, col, 8, values, nullptr),
                "prune_gpu_upload_csr: rowPtr decreases at 1");
  expectInvalid(
      prune_gpu_upload_csr(nullptr, 2, 10, rowPtr, col, 8, values, nullptr),
      "prune_gpu_upload_csr: out is null");
  expectInvalid(prune_gpu_upload_dense(&w, 0, 10, values, nullptr),
                "prune_gpu_upload_dense: rows and cols must be in [1, 2^31)");
  expectInvalid(
      prune_gpu_upload_bsr(&w, 4, 10, 4, 3, rowPtr, col, 8, values, nullptr),
      "prune_gpu_upload_bsr: the 4x3 blocks do not tile 4x10");
  uint8_t codes[16] = {0, 1, 2, 9};
  expectInvalid(prune_gpu_upload_nm(&w, 1, 8, 4, 8, codes, values, nullptr),
                "prune_gpu_upload_nm: in-group offset 9 at 3 is >= m");
  expectInvalid(prune_gpu_upload_nm(&w, 1, 10, 2, 4, codes, values, nullptr),
                "prune_gpu_upload_nm: 2:4 needs 0 < n < m <= 256 and m "
                "dividing cols");
  // 2:4 on the sparse tensor cores: packed (and checked) on the host.
  float w24[2 * 6] = {1, 0, 2, 0, 3, 0, //
                      0, 4, 5, 6, 0, 0};
  expectInvalid(
      prune_gpu_upload_nm24_sptc(&w, 2, 6, w24, nullptr, PRUNE_GPU_F16),
      "prune_gpu_upload_nm24_sptc: row 1, columns 0..3 hold 3 "
      "nonzeros: not 2:4");
  w24[7] = 0;
  expectInvalid(prune_gpu_upload_nm24_sptc(&w, 2, 6, w24, nullptr, 3),
                "prune_gpu_upload_nm24_sptc: valueType must be PRUNE_GPU_F16 "
                "(1) or PRUNE_GPU_BF16 (2) (got 3)");
  expectInvalid(
      prune_gpu_upload_nm24_sptc(&w, 2, 6, nullptr, nullptr, PRUNE_GPU_BF16),
      "prune_gpu_upload_nm24_sptc: w is null");
  w24[4] = 1e5f;
  expectInvalid(
      prune_gpu_upload_nm24_sptc(&w, 2, 6, w24, nullptr, PRUNE_GPU_F16),
      "prune_gpu_upload_nm24_sptc: the weight at row 0, column 4 "
      "(100000.000000) overflows f16");
  expectInvalid(prune_gpu_upload_dense_cublaslt_f16(&w, 2, 6, w24, nullptr),
                "prune_gpu_upload_dense_cublaslt_f16: the weight at row 0, "
                "column 4 (100000.000000) overflows f16");
  expectInvalid(prune_gpu_upload_dense_cublaslt_f16(&w, 0, 6, w24, nullptr),
                "prune_gpu_upload_dense_cublaslt_f16: rows and cols must be "
                "in [1, 2^31)");
}

// With a device: every format and the cuBLAS baseline against the CPU
// library, batch 1, 3 and 32, with and without the epilogue.
TEST(GpuRuntime, OnTheDevice) {
  if (!hasDevice())
    GTEST_SKIP() << "no usable CUDA device: " << lastError();
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> val(-1, 1);
  std::vector<float> bias(40);
  for (float &v : bias)
    v = val(rng);
  for (const Weights &ws : makeWeights())
    for (size_t i = 0; i < ws.packs.size(); ++i)
      for (bool cublas : {false, true}) {
        const PackedWeight &p = ws.packs[i];
        if (cublas && p.format != Format::Dense)
          continue;
        SCOPED_TRACE(ws.names[i] + (cublas ? " (cublas)" : ""));
        prune_gpu_weight *w = nullptr;
        ASSERT_EQ(upload(&w, p, ws.w, bias.data(), cublas), PRUNE_GPU_OK)
            << lastError();
        for (int64_t batch : {1, 3, 32})
          for (int flags :
               {0, int(PRUNE_GPU_ACCUMULATE),
                int(PRUNE_GPU_BIAS | PRUNE_GPU_RELU),
                int(PRUNE_GPU_ACCUMULATE | PRUNE_GPU_BIAS | PRUNE_GPU_RELU)})
            for (bool callBias : {false, true}) {
              if (callBias && !(flags & PRUNE_GPU_BIAS))
                continue;
              int64_t xs = p.cols + 3, ys = p.rows + 5;
              std::vector<float> x(batch * xs), y(batch * ys);
              for (float &v : x)
                v = val(rng);
              for (float &v : y)
                v = val(rng);
              std::vector<float> expect = y;
              // A bias given to the call: another one, copied per call.
              std::vector<float> other(bias.rbegin(), bias.rend());
              const float *b = flags & PRUNE_GPU_BIAS
                                   ? (callBias ? other.data() : bias.data())
                                   : nullptr;
              runStrided(p, x.data(), xs, 1, expect.data(), ys, 1, batch,
                         flags & PRUNE_GPU_ACCUMULATE, b,
                         flags & PRUNE_GPU_RELU);
              ASSERT_EQ(prune_gpu_fc(w, y.data(), ys, x.data(), xs, batch,
                                     flags, callBias ? other.data() : nullptr),
                        PRUNE_GPU_OK)
                  << lastError();
              for (int64_t bb = 0; bb < batch; ++bb)
                for (int64_t o = 0; o < p.rows; ++o)
                  ASSERT_NEAR(y[bb * ys + o], expect[bb * ys + o], 1e-4)
                      << "batch " << batch << " flags " << flags << " b " << bb
                      << " o " << o;
            }
        EXPECT_GT(prune_gpu_weight_bytes(w), 0);
        EXPECT_EQ(prune_gpu_free(w), PRUNE_GPU_OK) << lastError();
      }
}

// With a device: the 2:4 weight on the sparse tensor cores (f16, bf16) and
// the cuBLASLt f16 baseline, batch 1, 3, 32 and 100 (split K or not), with
// and without the epilogue, against the CPU library on the operands
// rounded as the device rounds them (W and x to the 16-bit type).
TEST(GpuRuntime, SixteenBitPathsOnTheDevice) {
  if (!hasDevice())
    GTEST_SKIP() << "no usable CUDA device: " << lastError();
  std::mt19937 rng(19);
  std::uniform_real_distribution<float> val(-1, 1);
  std::vector<Weights> all = makeWeights();
  const std::vector<float> &w24 = all[2].w;
  const int64_t rows = 40, cols = 72;
  std::vector<float> bias(rows);
  for (float &v : bias)
    v = val(rng);
  using pruneopt::gpu::SptcType;
  for (int which = 0; which < 3; ++which) {
    SptcType type = which == 1 ? SptcType::BF16 : SptcType::F16;
    SCOPED_TRACE(which == 2 ? "cublaslt f16"
                 : which    ? "sptc bf16"
                            : "sptc f16");
    prune_gpu_weight *w = nullptr;
    ASSERT_EQ(which == 2 ? prune_gpu_upload_dense_cublaslt_f16(
                               &w, rows, cols, w24.data(), bias.data())
                         : prune_gpu_upload_nm24_sptc(
                               &w, rows, cols, w24.data(), bias.data(),
                               which ? PRUNE_GPU_BF16 : PRUNE_GPU_F16),
              PRUNE_GPU_OK)
        << lastError();
    std::vector<float> wr(w24.size());
    for (size_t i = 0; i < wr.size(); ++i)
      wr[i] = pruneopt::gpu::roundToSixteen(type, w24[i]);
    PackedWeight p = packDense(wr.data(), rows, cols);
    for (int64_t batch : {1, 3, 32, 100})
      for (int flags :
           {0, int(PRUNE_GPU_ACCUMULATE | PRUNE_GPU_BIAS | PRUNE_GPU_RELU)}) {
        int64_t xs = cols + 3, ys = rows + 5;
        std::vector<float> x(batch * xs), xr(batch * xs), y(batch * ys);
        for (size_t i = 0; i < x.size(); ++i) {
          x[i] = val(rng);
          xr[i] = pruneopt::gpu::roundToSixteen(type, x[i]);
        }
        for (float &v : y)
          v = val(rng);
        std::vector<float> expect = y;
        const float *b = flags & PRUNE_GPU_BIAS ? bias.data() : nullptr;
        runStrided(p, xr.data(), xs, 1, expect.data(), ys, 1, batch,
                   flags & PRUNE_GPU_ACCUMULATE, b, flags & PRUNE_GPU_RELU);
        ASSERT_EQ(
            prune_gpu_fc(w, y.data(), ys, x.data(), xs, batch, flags, nullptr),
            PRUNE_GPU_OK)
            << lastError();
        for (int64_t bb = 0; bb < batch; ++bb)
          for (int64_t o = 0; o < rows; ++o)
            ASSERT_NEAR(y[bb * ys + o], expect[bb * ys + o], 1e-4)
                << "batch " << batch << " flags " << flags << " b " << bb
                << " o " << o;
      }
    EXPECT_GT(prune_gpu_weight_bytes(w), 0);
    EXPECT_EQ(prune_gpu_free(w), PRUNE_GPU_OK) << lastError();
  }
}
