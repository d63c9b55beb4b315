//===- SparseTensorCoreTest.cpp - 2:4 on sparse tensor cores, emulated ----===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// lib/GpuRuntime/SparseTensorCore.cuh compiled by the host compiler under
// SimtEmu.h, its mma.sp emulated by SimtMmaSp.h (no CUDA needed):
// - f16/bf16 rounding against known values, every 16-bit pattern, and the
//   compiler's own _Float16 / __bf16 conversions;
// - the emulated mma.sp on one tile, its fragments built here from the PTX
//   ISA's formulas, against a scalar model (bit for bit) and a double
//   reference, with either sparsity selector; bad metadata is an error;
// - the packer: refuses what is not 2:4 or does not fit f16, and its
//   arrays decode (by the ISA's formulas again) to the rounded W;
// - the kernel, ragged shapes x f16/bf16 x epilogues x split K, against
//   the masked dense model on the 16-bit-rounded W and x: bit for bit with
//   the emulation's summation order, within the f32 accumulation bound of
//   a double reference (and of the CPU kernel library on the same rounded
//   operands); padding between the rows of y stays untouched;
// - compiled models (nn-lower-gpu{sparse-tensor-cores}): GpuPlan.h's plan
//   is launchSptc24's launches, and the entry points of Entries.cuh run
//   along it compute launchSptc24's outputs bit for bit.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Runtime/Kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

// Last: SimtEmu.h defines CUDA's keywords and built-ins as macros.
#include "SimtEmu.h"

#include "EmuLaunch.h"

#include "SparseTensorCore.cuh"
#include "SparseTensorCorePack.h"

// The entry points compiled models launch (GpuEntries.def; defined here
// once for the test binary).
#include "Entries.cuh"

using namespace pruneopt;
using namespace pruneopt::gpu;
using pruneopt::gpu::test::EmuLaunch;

namespace {

constexpr SptcType kTypes[] = {SptcType::F16, SptcType::BF16};

/// A call's arguments (Entries.cuh's, which compiled models use): y(b, o) =
/// y[b*ys + o], x(b, k) = x[b*xs + k]; rows and cols are launchSptc24's.
FcArgs fcArgs(float *y, int64_t ys, const float *x, int64_t xs, int64_t batch,
              int32_t flags, const float *bias) {
  return entry::args(x, y, bias, nullptr, ys, xs, batch, 0, 0, flags);
}

/// The f32 accumulation error bound of n roundings (gamma_n = n u / (1 -
/// n u), u = 2^-24) on a sum of magnitude `mag`.
double gammaBound(int64_t n, double mag) {
  double nu = double(n) * std::ldexp(1.0, -24);
  return nu / (1 - nu) * mag;
}

} // namespace

//===----------------------------------------------------------------------===//
// 16-bit rounding
//===----------------------------------------------------------------------===//

TEST(Sixteen, KnownValues) {
  EXPECT_EQ(f32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(f32ToF16(-2.0f), 0xc000);
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16(65504.0f), 0x7bff);
  EXPECT_EQ(f32ToF16(65519.99f), 0x7bff);
  EXPECT_EQ(f32ToF16(65520.0f), 0x7c00); // the tie rounds to even: inf
  EXPECT_EQ(f32ToF16(INFINITY), 0x7c00);
  EXPECT_EQ(f32ToF16(-1e30f), 0xfc00);
  EXPECT_EQ(f32ToF16(NAN), 0x7fff);
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -25)), 0x0000); // tie: to even (0)
  EXPECT_EQ(f32ToF16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(f32ToF16(std::ldexp(3.0f, -25)), 0x0002);        // tie 1.5: to 2
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -14)), 0x0400);        // smallest normal
  EXPECT_EQ(f32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00); // tie: even
  EXPECT_EQ(f32ToF16(1.0f + std::ldexp(3.0f, -11)), 0x3c02); // tie: even
  EXPECT_EQ(f32ToF16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)),
            0x3c01);
  EXPECT_EQ(f32ToBf16(1.0f), 0x3f80);
  EXPECT_EQ(f32ToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80); // tie: even
  EXPECT_EQ(f32ToBf16(1.0f + std::ldexp(3.0f, -8)), 0x3f82);
  EXPECT_EQ(f32ToBf16(FLT_MAX), 0x7f80); // rounds up to inf
  EXPECT_EQ(f32ToBf16(NAN), 0x7fff);
  EXPECT_EQ(f32ToBf16(70000.0f), 0x4789); // 70144: bf16 keeps the range
  EXPECT_EQ(f16ToF32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16ToF32(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(f16ToF32(0xfc00)) && f16ToF32(0xfc00) < 0);
  EXPECT_TRUE(std::isnan(f16ToF32(0x7fff)));
  EXPECT_EQ(bf16ToF32(0x3f80), 1.0f);
}

// Every 16-bit pattern converts to f32 and back to itself (NaN to NaN).
TEST(Sixteen, EveryPatternRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h)
    for (SptcType type : kTypes) {
      float f = fromSixteen(type, uint16_t(h));
      if (std::isnan(f))
        EXPECT_TRUE(std::isnan(fromSixteen(type, toSixteen(type, f))));
      else
        ASSERT_EQ(toSixteen(type, f), h) << sixteenName(type) << " " << h;
    }
}

/// bf16 rounding by another route: the two bf16 neighbours of f (its
/// truncation and the next one up in magnitude) and the nearer in double
/// arithmetic, ties to the even one.
static uint16_t bf16ByNeighbours(float f) {
  uint32_t lo = floatBits(f) & 0xffff0000u, hi = lo + 0x10000u;
  double dl = std::fabs(double(bitsFloat(lo)) - f);
  double dh = std::isfinite(bitsFloat(hi))
                  ? std::fabs(double(bitsFloat(hi)) - f)
                  : std::fabs(std::ldexp(1.0, 128) - std::fabs(double(f)));
  if (dl < dh || (dl == dh && !(lo & 0x10000u)))
    return uint16_t(lo >> 16);
  return uint16_t(hi >> 16);
}

// Against the compiler's _Float16 conversion (round to nearest even) and
// the neighbour rule for bf16, on random floats of every magnitude and on
// the midpoints between f16 neighbours.
TEST(Sixteen, MatchesIndependentConversions) {
  std::mt19937 rng(21);
  std::vector<float> values;
  for (int i = 0; i < 200000; ++i) {
    float f = bitsFloat(uint32_t(rng()));
    if (std::isfinite(f))
      values.push_back(f);
  }
  for (uint32_t h = 0; h < 0x7bff; ++h) // midpoints of f16 neighbours
    values.push_back(float(
        (double(f16ToF32(uint16_t(h))) + double(f16ToF32(uint16_t(h + 1)))) /
        2));
  for (float f : values) {
    ASSERT_EQ(f32ToBf16(f), bf16ByNeighbours(f)) << f;
#ifdef __FLT16_MAX__
    _Float16 h = static_cast<_Float16>(f);
    uint16_t bits;
    std::memcpy(&bits, &h, 2);
    ASSERT_EQ(f32ToF16(f), bits) << f;
#endif
  }
}

//===----------------------------------------------------------------------===//
// The emulated mma.sp, one tile
//===----------------------------------------------------------------------===//

namespace {
/// A 16 x 32 A (2:4, some groups with fewer nonzeros), B (32 x 8) and C
/// (16 x 8), already 16-bit values (A, B) and their fragments per lane,
/// built from the PTX ISA's formulas (9.7.14.6.2.2; SimtMmaSp.h).
struct Tile {
  SptcType type;
  float a[16][32] = {}, b[32][8] = {}, c[16][8] = {};
  uint32_t fa[32][4] = {}, fb[32][4] = {}, fe[32] = {};
  float fc[32][4] = {};

  Tile(SptcType type, unsigned selector, std::mt19937 &rng) : type(type) {
    std::uniform_real_distribution<float> val(-2, 2);
    std::uniform_int_distribution<int> pick(0, 3), count(0, 9);
    unsigned idx[16][8][2];
    uint16_t stored[16][8][2];
    for (int m = 0; m < 16; ++m)
      for (int g = 0; g < 8; ++g) {
        // 2 nonzeros mostly; sometimes 1 or 0 (explicit zeros stored).
        int n = std::min(count(rng), 2);
        unsigned p0 = unsigned(pick(rng)), p1 = unsigned(pick(rng));
        while (p1 == p0)
          p1 = unsigned(pick(rng));
        if (p0 > p1)
          std::swap(p0, p1);
        idx[m][g][0] = p0;
        idx[m][g][1] = p1;
        for (int s = 0; s < 2; ++s) {
          float v = s < n ? val(rng) : 0.0f;
          stored[m][g][s] = toSixteen(type, v);
          a[m][4 * g + idx[m][g][s]] = fromSixteen(type, stored[m][g][s]);
        }
      }
    uint16_t bs[32][8];
    for (int k = 0; k < 32; ++k)
      for (int n = 0; n < 8; ++n) {
        bs[k][n] = toSixteen(type, val(rng));
        b[k][n] = fromSixteen(type, bs[k][n]);
      }
    for (int m = 0; m < 16; ++m)
      for (int n = 0; n < 8; ++n)
        c[m][n] = val(rng);
    for (int lane = 0; lane < 32; ++lane) {
      int q = lane / 4, t = lane % 4;
      for (int r = 0; r < 4; ++r) {
        int m = q + (r & 1 ? 8 : 0), g = t + (r & 2 ? 4 : 0);
        fa[lane][r] = stored[m][g][0] | uint32_t(stored[m][g][1]) << 16;
        fb[lane][r] = bs[2 * t + 8 * r][q] | uint32_t(bs[2 * t + 8 * r + 1][q])
                                                 << 16;
        fc[lane][r] = c[q + (r >= 2 ? 8 : 0)][2 * t + r % 2];
      }
      // Metadata in lanes 4q + 2 selector + s; the other two lanes hold
      // 0 (equal indices: invalid) to show that they are not read.
      if (unsigned(t / 2) == selector) {
        int s = t % 2;
        for (int j = 0; j < 16; ++j) {
          int m = q + (j >= 8 ? 8 : 0), g = 4 * s + (j % 8) / 2;
          fe[lane] |= idx[m][g][j % 2] << (2 * j);
        }
      }
    }
  }
};

float mmaOut[32][4];
} // namespace

TEST(SimtMmaSp, OneTileAgainstScalarModelBothSelectors) {
  std::mt19937 rng(23);
  for (SptcType type : kTypes)
    for (unsigned selector : {0u, 1u})
      for (int trial = 0; trial < 4; ++trial) {
        SCOPED_TRACE(std::string(sixteenName(type)) + " selector " +
                     std::to_string(selector));
        Tile tile(type, selector, rng);
        std::string error = simt::launch(dim3(1), dim3(32), [&] {
          int lane = threadIdx.x;
          float d[4];
          simt::mmaSpM16N8K32(type, d, tile.fa[lane], tile.fb[lane],
                              tile.fc[lane], tile.fe[lane], selector);
          for (int i = 0; i < 4; ++i)
            mmaOut[lane][i] = d[i];
        });
        ASSERT_EQ(error, "");
        for (int lane = 0; lane < 32; ++lane)
          for (int i = 0; i < 4; ++i) {
            int m = lane / 4 + (i >= 2 ? 8 : 0), n = 2 * (lane % 4) + i % 2;
            // The emulation's order: c, then fmaf over k ascending (a zero
            // of A adds nothing to a nonzero sum).
            float model = tile.c[m][n];
            double ref = tile.c[m][n], mag = std::fabs(ref);
            for (int k = 0; k < 32; ++k) {
              model = std::fma(tile.a[m][k], tile.b[k][n], model);
              ref += double(tile.a[m][k]) * tile.b[k][n];
              mag += std::fabs(double(tile.a[m][k]) * tile.b[k][n]);
            }
            EXPECT_EQ(floatBits(mmaOut[lane][i]), floatBits(model))
                << "lane " << lane << " d" << i;
            EXPECT_NEAR(mmaOut[lane][i], ref, gammaBound(16, mag));
          }
      }
}

TEST(SimtMmaSp, BadMetadataOrSelectorIsAnError) {
  std::mt19937 rng(29);
  Tile tile(SptcType::F16, 0, rng);
  // Lane 5 (group 1, the pair's second lane) with indices 2, 1 for its
  // first group.
  uint32_t bad = (tile.fe[5] & ~0xfu) | 0x6u;
  std::string error = simt::launch(dim3(1), dim3(32), [&] {
    int lane = threadIdx.x;
    float d[4];
    simt::mmaSpM16N8K32(SptcType::F16, d, tile.fa[lane], tile.fb[lane],
                        tile.fc[lane], lane == 5 ? bad : tile.fe[lane], 0);
  });
  EXPECT_NE(error.find("mma.sp: metadata of lane 5 bits 3..0 = indices 2, 1: "
                       "not increasing"),
            std::string::npos)
      << error;
  error = simt::launch(dim3(1), dim3(32), [&] {
    int lane = threadIdx.x;
    float d[4];
    simt::mmaSpM16N8K32(SptcType::F16, d, tile.fa[lane], tile.fb[lane],
                        tile.fc[lane], tile.fe[lane], 2);
  });
  EXPECT_NE(error.find("sparsity selector 2"), std::string::npos) << error;
  // The whole warp must execute it.
  error = simt::launch(dim3(1), dim3(32), [&] {
    int lane = threadIdx.x;
    if (lane == 31)
      return;
    float d[4];
    simt::mmaSpM16N8K32(SptcType::F16, d, tile.fa[lane], tile.fb[lane],
                        tile.fc[lane], tile.fe[lane], 0);
  });
  // (Whether the others or the returning lane get there first: either
  // message.)
  EXPECT_NE(error.find(" returned"), std::string::npos) << error;
}

namespace {
int collectiveOut[64];
} // namespace

TEST(SimtEmu, WarpCollective) {
  ASSERT_EQ(simt::launch(dim3(2), dim3(64),
                         [] {
                           int v = int(threadIdx.x) * 3 + int(blockIdx.x);
                           // Twice in a row: the operand sets alternate.
                           for (int rep = 0; rep < 2; ++rep)
                             collectiveOut[threadIdx.x] = simt::warpCollective(
                                 "test", v + rep,
                                 [](const int *all, unsigned lane) {
                                   int sum = 0;
                                   for (int l = 0; l < 32; ++l)
                                     sum += all[l];
                                   return sum * 100 + all[(lane + 1) % 32];
                                 });
                         }),
            "");
  for (int t = 0; t < 64; ++t) {
    int base = t / 32 * 32, sum = 0;
    for (int l = 0; l < 32; ++l)
      sum += (base + l) * 3 + 1 + 1; // block 1, rep 1
    EXPECT_EQ(collectiveOut[t], sum * 100 + (base + (t + 1) % 32) * 3 + 2);
  }
}

//===----------------------------------------------------------------------===//
// The packer
//===----------------------------------------------------------------------===//

TEST(SptcPack, RefusesWhatIsNot24) {
  std::vector<float> w(3 * 10, 0.0f);
  w[0 * 10 + 1] = 1;
  w[0 * 10 + 2] = 2;
  w[1 * 10 + 4] = 1;
  w[1 * 10 + 6] = -1;
  w[1 * 10 + 7] = 3; // row 1, group 4..7: 3 nonzeros
  SptcPacked p;
  std::string error;
  EXPECT_FALSE(packSptc24(w.data(), 3, 10, SptcType::F16, p, &error));
  EXPECT_EQ(error, "row 1, columns 4..7 hold 3 nonzeros: not 2:4 (at most 2 "
                   "of every 4 consecutive inputs, groups starting at column "
                   "0)");
  w[1 * 10 + 7] = 0;
  w[2 * 10 + 8] = 5; // the partial last group (8, 9) holds 2: fine
  w[2 * 10 + 9] = 6;
  EXPECT_TRUE(packSptc24(w.data(), 3, 10, SptcType::F16, p, &error)) << error;
  // -0 is a zero; NaN is not.
  w[0 * 10 + 3] = -0.0f;
  EXPECT_TRUE(packSptc24(w.data(), 3, 10, SptcType::BF16, p, &error));
  w[0 * 10 + 3] = NAN;
  EXPECT_FALSE(packSptc24(w.data(), 3, 10, SptcType::BF16, p, &error));
  EXPECT_EQ(error.rfind("row 0, columns 0..3 hold 3 nonzeros", 0), 0u) << error;
  w[0 * 10 + 3] = 0;
  // 70000 overflows f16, not bf16.
  w[2 * 10 + 9] = 70000;
  EXPECT_FALSE(packSptc24(w.data(), 3, 10, SptcType::F16, p, &error));
  EXPECT_EQ(error, "the weight at row 2, column 9 (70000.000000) overflows "
                   "f16 (largest finite 65504)");
  EXPECT_TRUE(packSptc24(w.data(), 3, 10, SptcType::BF16, p, &error));
}

namespace {
/// A random rows x cols W, 2:4 along K with some groups holding fewer.
std::vector<float> make24(int64_t rows, int64_t cols, std::mt19937 &rng) {
  std::uniform_real_distribution<float> val(-1, 1), u(0, 1);
  std::vector<float> w(rows * cols, 0.0f);
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t g = 0; g * 4 < cols; ++g) {
      int keep = u(rng) < 0.15f ? (u(rng) < 0.5f ? 0 : 1) : 2;
      int idx[4] = {0, 1, 2, 3};
      std::shuffle(idx, idx + 4, rng);
      for (int s = 0; s < keep; ++s)
        if (g * 4 + idx[s] < cols)
          w[o * cols + g * 4 + idx[s]] = val(rng);
    }
  return w;
}
} // namespace

// The packed arrays, decoded with the PTX ISA's fragment formulas (not the
// packer's code), are W rounded to 16 bits, zero-padded to 16 x 32 tiles;
// indices increase within every group; a dummy second tile of an odd
// kTiles has indices 0, 1.
TEST(SptcPack, ArraysAreTheFragmentsOfTheRoundedW) {
  std::mt19937 rng(31);
  for (SptcType type : kTypes)
    for (auto [rows, cols] :
         {std::pair<int64_t, int64_t>{1, 32}, {17, 100}, {40, 96}, {33, 161}}) {
      SCOPED_TRACE(std::string(sixteenName(type)) + " " + std::to_string(rows) +
                   "x" + std::to_string(cols));
      std::vector<float> w = make24(rows, cols, rng);
      SptcPacked p;
      std::string error;
      ASSERT_TRUE(packSptc24(w.data(), rows, cols, type, p, &error)) << error;
      ASSERT_EQ(p.rowTiles, (rows + 15) / 16);
      ASSERT_EQ(p.kTiles, (cols + 31) / 32);
      int64_t kPairs = (p.kTiles + 1) / 2;
      ASSERT_EQ(p.values.size(), size_t(p.rowTiles * p.kTiles * 128));
      ASSERT_EQ(p.meta.size(), size_t(p.rowTiles * kPairs * 32));
      int64_t prows = p.rowTiles * 16, pcols = p.kTiles * 32;
      std::vector<float> dense(prows * pcols, 0.0f);
      std::vector<int> seen(prows * pcols, 0);
      for (int64_t rt = 0; rt < p.rowTiles; ++rt)
        for (int64_t kt = 0; kt < p.kTiles; ++kt)
          for (int lane = 0; lane < 32; ++lane) {
            int q = lane / 4, t = lane % 4;
            for (int r = 0; r < 4; ++r) {
              // a_{2r}, a_{2r+1}: row q (+8 for a2, a3, a6, a7), columns
              // 4t.. (+16 for a4..a7).
              int m = q + (r & 1 ? 8 : 0), col0 = 4 * t + (r & 2 ? 16 : 0);
              // Their indices: lane 4q + 2 sel + s, sel = kt % 2, s =
              // (col0 >= 16), bits 2j.., j = 8 (m >= 8) + 2 ((col0 % 16) / 4).
              uint32_t e = p.meta[size_t((rt * kPairs + kt / 2) * 32 + 4 * q +
                                         2 * (kt % 2) + (col0 >= 16))];
              int j = (m >= 8 ? 8 : 0) + 2 * ((col0 % 16) / 4);
              unsigned i0 = (e >> (2 * j)) & 3, i1 = (e >> (2 * j + 2)) & 3;
              ASSERT_LT(i0, i1);
              uint32_t word =
                  p.values[size_t(((rt * p.kTiles + kt) * 32 + lane) * 4 + r)];
              int64_t row = rt * 16 + m, k = kt * 32 + col0;
              dense[row * pcols + k + i0] =
                  fromSixteen(type, uint16_t(word & 0xffff));
              dense[row * pcols + k + i1] =
                  fromSixteen(type, uint16_t(word >> 16));
              ++seen[row * pcols + k + i0];
              ++seen[row * pcols + k + i1];
            }
          }
      for (int64_t o = 0; o < prows; ++o)
        for (int64_t k = 0; k < pcols; ++k) {
          float want = o < rows && k < cols
                           ? roundToSixteen(type, w[o * cols + k])
                           : 0.0f;
          ASSERT_EQ(dense[o * pcols + k], want) << "at " << o << ", " << k;
          // A nonzero is stored exactly once.
          if (want != 0.0f)
            ASSERT_EQ(seen[o * pcols + k], 1) << "at " << o << ", " << k;
        }
      if (p.kTiles % 2)
        for (int64_t rt = 0; rt < p.rowTiles; ++rt)
          for (int lane = 0; lane < 32; ++lane)
            if (lane % 4 >= 2)
              ASSERT_EQ(p.meta[size_t((rt * kPairs + kPairs - 1) * 32 + lane)],
                        0x44444444u);
    }
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

namespace {
struct Epilogue {
  const char *name;
  bool acc, bias, relu;
};
constexpr Epilogue kEpilogues[] = {
    {"none", false, false, false},    {"accumulate", true, false, false},
    {"bias", false, true, false},     {"relu", false, false, true},
    {"bias+relu", false, true, true}, {"all", true, true, true}};

/// Runs the emulated kernel on a random 2:4 W (rows x cols) at `batch`
/// with `e` and K split `kSplit` ways, and checks it (see the top of the
/// file). Strides: x cols + 3, y rows + 5 (NaN there must stay).
void check(SptcType type, int64_t rows, int64_t cols, int64_t batch,
           const Epilogue &e, int kSplit, std::mt19937 &rng,
           std::vector<std::string> *launched = nullptr) {
  SCOPED_TRACE(std::string(sixteenName(type)) + " " + std::to_string(rows) +
               "x" + std::to_string(cols) + " batch " + std::to_string(batch) +
               " " + e.name + " split " + std::to_string(kSplit));
  std::uniform_real_distribution<float> val(-1, 1);
  std::vector<float> w = make24(rows, cols, rng);
  SptcPacked p;
  std::string error;
  ASSERT_TRUE(packSptc24(w.data(), rows, cols, type, p, &error)) << error;
  int64_t xs = cols + 3, ys = rows + 5;
  std::vector<float> x(batch * xs, NAN), y0(batch * ys, NAN), bias(rows);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t k = 0; k < cols; ++k)
      x[b * xs + k] = val(rng);
    for (int64_t o = 0; o < rows; ++o)
      y0[b * ys + o] = val(rng);
  }
  for (float &v : bias)
    v = val(rng);

  std::vector<float> gpu = y0,
                     partial(size_t(std::max(kSplit, 1)) * batch * rows, NAN);
  FcArgs a = fcArgs(gpu.data(), ys, x.data(), xs, batch,
                    (e.acc ? kAccumulate : 0) | (e.relu ? kRelu : 0),
                    e.bias ? bias.data() : nullptr);
  EmuLaunch launch;
  ASSERT_TRUE(launchSptc24(p.view(), a, partial.data(), kSplit, launch));
  if (launched)
    *launched = launch.launched;

  // The masked dense model: W and x rounded to 16 bits.
  std::vector<float> wr(rows * cols), xr(batch * cols);
  for (int64_t i = 0; i < rows * cols; ++i)
    wr[i] = roundToSixteen(type, w[i]);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < cols; ++k)
      xr[b * cols + k] = roundToSixteen(type, x[b * xs + k]);
  // The CPU kernel library on the same rounded operands.
  std::vector<float> cpu = y0;
  kernels::PackedWeight dense = kernels::packDense(wr.data(), rows, cols);
  kernels::runStrided(dense, xr.data(), cols, 1, cpu.data(), ys, 1, batch,
                      e.acc, e.bias ? bias.data() : nullptr, e.relu);
  // The parts of K: chunks of 128 inputs, as launchSptc24 splits them.
  int64_t chunks = (p.kTiles + 3) / 4;
  int64_t perSplit = (chunks + std::max(kSplit, 1) - 1) / std::max(kSplit, 1);
  int64_t parts = (chunks + perSplit - 1) / perSplit, partK = perSplit * 128;

  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t o = 0; o < rows; ++o) {
      float model = 0.0f;
      double ref = 0.0, mag = 0.0;
      for (int64_t z = 0; z < parts; ++z) {
        float sum = 0.0f;
        for (int64_t k = z * partK; k < std::min(cols, (z + 1) * partK); ++k) {
          float wv = wr[o * cols + k], xv = xr[b * cols + k];
          sum = std::fma(wv, xv, sum);
          ref += double(wv) * xv;
          mag += std::fabs(double(wv) * xv);
        }
        model = z == 0 ? sum : model + sum;
      }
      float *y = &y0[b * ys + o];
      model = epilogue(model, y, a, o);
      if (e.acc) {
        ref += *y;
        mag += std::fabs(*y);
      }
      if (e.bias) {
        ref += bias[o];
        mag += std::fabs(bias[o]);
      }
      if (e.relu)
        ref = std::max(ref, 0.0);
      float g = gpu[b * ys + o];
      ASSERT_EQ(floatBits(g), floatBits(model))
          << "vs the model at b " << b << " o " << o << ": " << g << " vs "
          << model;
      // f32 roundings: one per product, per part sum, accumulate, bias.
      double tol = gammaBound(p.kTiles * 32 + parts + 2, mag) + 1e-30;
      ASSERT_NEAR(g, ref, tol) << "vs double at b " << b << " o " << o;
      ASSERT_NEAR(g, cpu[b * ys + o], 2 * tol)
          << "vs the CPU library at b " << b << " o " << o;
    }
    for (int64_t o = rows; o < ys && b * ys + o < int64_t(gpu.size()); ++o)
      ASSERT_TRUE(std::isnan(gpu[b * ys + o])) << "wrote padding at " << o;
  }
}
} // namespace

// The ragged shapes: rows not a multiple of 16, cols of 32, batch of 8 or
// 32 (and one output tile in a block of 16, an odd number of k-tiles), for
// f16 and bf16, plain and with every epilogue at once; every epilogue on
// two shapes.
TEST(SptcKernel, RaggedShapesBothTypes) {
  std::mt19937 rng(37);
  for (SptcType type : kTypes)
    for (int64_t rows : {1, 17, 40})
      for (int64_t cols : {32, 96, 100})
        for (int64_t batch : {1, 7, 32, 33})
          for (const Epilogue &e : {kEpilogues[0], kEpilogues[5]})
            check(type, rows, cols, batch, e, 1, rng);
}

TEST(SptcKernel, EveryEpilogue) {
  std::mt19937 rng(41);
  for (SptcType type : kTypes)
    for (const Epilogue &e : kEpilogues) {
      check(type, 17, 100, 7, e, 1, rng);
      check(type, 40, 96, 33, e, 1, rng);
    }
}

// More than one block of rows (300 = 19 tiles), several K chunks (300
// inputs = 10 k-tiles = 3 chunks), K split 1, 2 (parts of 2 chunks and 1)
// and 3 ways (the partial sums and the reduction kernel).
TEST(SptcKernel, SplitK) {
  std::mt19937 rng(43);
  for (SptcType type : kTypes)
    for (int split : {1, 2, 3})
      for (const Epilogue &e : {kEpilogues[0], kEpilogues[5]})
        check(type, 300, 300, 33, e, split, rng);
  check(SptcType::F16, 40, 1000, 5, kEpilogues[4], 8, rng);
}

TEST(SptcKernel, LaunchPlan) {
  std::mt19937 rng(47);
  std::vector<std::string> names;
  check(SptcType::F16, 17, 100, 3, kEpilogues[0], 1, rng, &names);
  EXPECT_EQ(names, std::vector<std::string>{"mma_sp<sptc24f16>"});
  check(SptcType::BF16, 17, 300, 3, kEpilogues[0], 2, rng, &names);
  EXPECT_EQ(names,
            (std::vector<std::string>{"mma_sp<sptc24bf16>", "sptc_reduce<>"}));
  // A split larger than the chunks is clamped: 100 inputs are one chunk.
  check(SptcType::BF16, 17, 100, 3, kEpilogues[0], 4, rng, &names);
  EXPECT_EQ(names, std::vector<std::string>{"mma_sp<sptc24bf16>"});

  // sptcSplitK: parts for about targetBlocks blocks, whole chunks each.
  SptcWeightView v;
  v.rowTiles = 256;                      // 4096 rows: 16 row blocks
  v.kTiles = 128;                        // 4096 inputs: 32 chunks
  EXPECT_EQ(sptcSplitK(v, 32, 264), 16); // 17 wanted: 2 chunks per part
  EXPECT_EQ(sptcSplitK(v, 1, 264), 16);
  EXPECT_EQ(sptcSplitK(v, 32, 16), 1);   // enough blocks already
  EXPECT_EQ(sptcSplitK(v, 512, 264), 2); // 16 x 16 blocks
  v.kTiles = 4;                          // one chunk: nothing to split
  EXPECT_EQ(sptcSplitK(v, 32, 264), 1);
  v.rowTiles = 1;
  v.kTiles = 100000; // 25000 chunks: at most kSptcMaxSplit parts
  EXPECT_EQ(sptcSplitK(v, 1, 1000), kSptcMaxSplit);
}

// ReLU keeps NaN (a NaN bias), like the CPU kernels; with and without the
// split.
TEST(SptcKernel, ReluKeepsNaN) {
  std::mt19937 rng(53);
  std::vector<float> w = make24(8, 300, rng), bias(8, -100.0f);
  bias[2] = NAN;
  for (SptcType type : kTypes)
    for (int split : {1, 3}) {
      SptcPacked p;
      ASSERT_TRUE(packSptc24(w.data(), 8, 300, type, p, nullptr));
      std::vector<float> x(3 * 300, 0.5f), y(3 * 8, 5.0f), partial(3 * 3 * 8);
      FcArgs a = fcArgs(y.data(), 8, x.data(), 300, 3, kRelu, bias.data());
      ASSERT_TRUE(
          launchSptc24(p.view(), a, partial.data(), split, EmuLaunch()));
      for (int b = 0; b < 3; ++b)
        for (int o = 0; o < 8; ++o)
          if (o == 2)
            EXPECT_TRUE(std::isnan(y[b * 8 + o]));
          else
            EXPECT_EQ(y[b * 8 + o], 0.0f);
    }
}

// The cuBLASLt baseline's x conversion: rounded like the host, zero
// padding up to ld.
TEST(SptcKernel, ToSixteen) {
  std::mt19937 rng(59);
  std::uniform_real_distribution<float> val(-100, 100);
  for (SptcType type : kTypes) {
    const int64_t batch = 5, cols = 37, xs = 41, ld = 40;
    std::vector<float> x(batch * xs);
    for (float &v : x)
      v = val(rng);
    std::vector<uint16_t> out(batch * ld, 0xdead);
    EmuLaunch launch;
    ASSERT_TRUE(launchToSixteen(type, x.data(), xs, batch, cols, ld,
                                reinterpret_cast<uint32_t *>(out.data()),
                                launch));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t k = 0; k < ld; ++k)
        ASSERT_EQ(out[b * ld + k],
                  k < cols ? toSixteen(type, x[b * xs + k]) : 0)
            << b << ", " << k;
  }
}

//===----------------------------------------------------------------------===//
// Compiled models
//===----------------------------------------------------------------------===//

namespace {
/// Records what launchSptc24 would launch (GpuPlan.h's entry names, grids
/// and the parts K is split into), without running it.
struct PlanRecorder {
  std::vector<PlanStep> steps;
  template <typename... P, typename... A>
  bool operator()(const char *kernel, const char *layout, void (*)(P...),
                  dim3 grid, dim3 block, A... args) {
    EXPECT_EQ(block.x, unsigned(kBlockThreads));
    std::string entry = kernel;
    if (*layout)
      entry += std::string("_") + layout;
    steps.push_back({entry, grid.x, grid.y, grid.z, parts(args...), 0});
    return true;
  }
  // mma_sp (w, a, partial, chunksPerSplit): the parts are grid.z, set
  // below; sptc_reduce (partial, kSplit, a): kSplit.
  static int64_t parts(SptcWeightView, FcArgs, float *, int) { return -1; }
  static int64_t parts(const float *, int kSplit, FcArgs) { return kSplit; }
};
} // namespace

// nn-lower-gpu-calls launches what GpuPlan.h's planFc says for the sparse
// tensor core layouts; libPruneOptGpu launches launchSptc24 with
// sptcSplitK's split. Both must be the same launches, grids and split, for
// every shape, batch and target (the chips' and a small one), and the
// scratch planScratchFloats asks for must be the partial sums'.
TEST(SptcKernel, CompiledModelsLaunchWhatLaunchSptc24Launches) {
  for (SptcType type : kTypes)
    for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
             {17, 100}, {300, 300}, {40, 1000}, {4096, 4096}, {1000, 64}})
      for (int64_t batch : {1, 3, 32, 33, 100})
        for (int64_t target : {planTargetBlocks("sm_80"),
                               planTargetBlocks("sm_90"), int64_t(16)}) {
          std::string layout = std::string("sptc24") + sixteenName(type);
          SCOPED_TRACE(layout + " " + std::to_string(rows) + "x" +
                       std::to_string(cols) + " batch " +
                       std::to_string(batch) + " target " +
                       std::to_string(target));
          SptcWeightView w;
          w.type = type;
          w.rows = rows;
          w.cols = cols;
          w.rowTiles = sptcCeilDiv(rows, kSptcTileRows);
          w.kTiles = sptcCeilDiv(cols, kSptcTileK);
          int split = sptcSplitK(w, batch, target);
          FcArgs a;
          a.batch = batch;
          PlanRecorder recorder;
          float scratch;
          ASSERT_TRUE(launchSptc24(w, a, &scratch, split, recorder));
          ASSERT_FALSE(recorder.steps.empty());
          recorder.steps[0].p0 = recorder.steps[0].gridZ;
          std::vector<PlanStep> plan =
              planFc(layout, rows, cols, batch, {}, target);
          ASSERT_EQ(plan.size(), recorder.steps.size());
          for (size_t i = 0; i < plan.size(); ++i) {
            EXPECT_EQ(plan[i].entry, recorder.steps[i].entry);
            EXPECT_EQ(plan[i].gridX, recorder.steps[i].gridX);
            EXPECT_EQ(plan[i].gridY, recorder.steps[i].gridY);
            EXPECT_EQ(plan[i].gridZ, recorder.steps[i].gridZ);
            EXPECT_EQ(plan[i].p0, split);
            EXPECT_EQ(recorder.steps[i].p0, split);
          }
          EXPECT_EQ(planScratchFloats(layout, rows, cols, batch, target),
                    split > 1 ? split * batch * rows : 0);
        }
}

namespace {
using EntryFn = void (*)(PRUNE_GPU_ENTRY_PARAMS);
/// GpuEntries.def's functions by name (what the emulated runtime looks up).
EntryFn entryNamed(const std::string &name) {
  static const std::pair<const char *, EntryFn> entries[] = {
#define PRUNE_GPU_ENTRY(Name, Kernel, Layout) {#Name, &prune_gpu_##Name},
#include "prune-opt/GpuRuntime/GpuEntries.def"
  };
  for (auto [n, fn] : entries)
    if (name == n)
      return fn;
  ADD_FAILURE() << "no entry point " << name;
  return nullptr;
}
} // namespace

// The entry points of a compiled model, launched along GpuPlan.h's plan
// with the parameters nn-lower-gpu-calls passes (contiguous x and y, the
// scratch of planScratchFloats, p0 of each step), compute what
// launchSptc24 computes with the same split, bit for bit: unsplit and
// split (the partial sums and the reduction), every epilogue at once.
TEST(SptcKernel, EntryPointsRunThePlan) {
  std::mt19937 rng(61);
  std::uniform_real_distribution<float> val(-1, 1);
  for (SptcType type : kTypes)
    for (auto shape :
         std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>>{
             {17, 100, 1, 264},
             {40, 96, 33, 264},
             {300, 300, 33, 264},
             {40, 1000, 5, 264},
             {300, 300, 33, 1}}) {
      // (Not a structured binding: the launch below captures them.)
      const int64_t rows = std::get<0>(shape), cols = std::get<1>(shape),
                    batch = std::get<2>(shape), target = std::get<3>(shape);
      std::string layout = std::string("sptc24") + sixteenName(type);
      SCOPED_TRACE(layout + " " + std::to_string(rows) + "x" +
                   std::to_string(cols) + " batch " + std::to_string(batch) +
                   " target " + std::to_string(target));
      std::vector<float> w = make24(rows, cols, rng);
      SptcPacked p;
      ASSERT_TRUE(packSptc24(w.data(), rows, cols, type, p, nullptr));
      std::vector<float> x(batch * cols), y0(batch * rows), bias(rows);
      for (std::vector<float> *v : {&x, &y0, &bias})
        for (float &e : *v)
          e = val(rng);
      const int32_t flags = kAccumulate | kRelu;

      int split = sptcSplitK(p.view(), batch, target);
      std::vector<float> want = y0, partial(size_t(split) * batch * rows);
      FcArgs a =
          fcArgs(want.data(), rows, x.data(), cols, batch, flags, bias.data());
      ASSERT_TRUE(
          launchSptc24(p.view(), a, partial.data(), split, EmuLaunch()));

      std::vector<float> got = y0,
                         scratch(size_t(planScratchFloats(layout, rows, cols,
                                                          batch, target)),
                                 NAN);
      std::vector<PlanStep> plan =
          planFc(layout, rows, cols, batch, {}, target);
      EXPECT_EQ(plan.size(), split > 1 ? 2u : 1u);
      for (const PlanStep &step : plan) {
        EntryFn fn = entryNamed(step.entry);
        ASSERT_TRUE(fn);
        std::string error = simt::launch(
            dim3(step.gridX, step.gridY, step.gridZ), dim3(kBlockThreads), [&] {
              fn(p.values.data(), p.meta.data(), nullptr, x.data(), got.data(),
                 bias.data(), scratch.empty() ? nullptr : scratch.data(), rows,
                 cols, batch, rows, cols, step.p0, step.p1, flags);
            });
        ASSERT_EQ(error, "") << step.entry;
      }
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_EQ(floatBits(got[i]), floatBits(want[i])) << "at " << i;
    }
}
