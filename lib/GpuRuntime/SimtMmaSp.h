//===- SimtMmaSp.h - mma.sp.m16n8k32 under the SIMT emulation ---*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The warp-level sparse tensor core instruction that SparseTensorCore.cuh
// issues,
//   mma.sp{::ordered_metadata}.sync.aligned.m16n8k32.row.col.f32.T.T.f32
//       d, a, b, c, e, f          (T = f16 or bf16)
// emulated on SimtEmu.h's host threads: each lane hands in its registers,
// a warp collective (simt::warpCollective) gathers all 32 lanes', and each
// lane gets its own four f32 results -- the operand distribution the
// device uses, so a kernel that puts a value in the wrong lane or register
// computes garbage here as it would there.
//
// Operands of lane l (groupID q = l / 4, threadID_in_group t = l % 4); D =
// A (16 x 32, 2:4 along K) * B (32 x 8) + C:
// - a[4] (PTX ISA 9.7.14.6.2.2, "Matrix Fragments for sparse mma.m16n8k32
//   with .f16 and .bf16 types"): register r holds the two stored values of
//   one group of 4 columns, the low 16 bits first: row q (r = 0, 2) or
//   q + 8 (r = 1, 3), columns 4t..4t+3 (r = 0, 1) or 16 + 4t.. (r = 2, 3);
// - e (same section and "Sparse matrix storage"): with selector f (0 or 1),
//   lanes 4q + 2f and 4q + 2f + 1 supply the indices (within the group) of
//   every stored value of rows q and q + 8; lane 4q + 2f + s covers
//   columns 16s..16s+15: bits 2j+1..2j are, for j < 8, the index of value
//   j % 2 of group 4s + j / 2 in row q, for j >= 8 the same in row q + 8
//   (SparseTensorCore.h says where this order comes from). The other two
//   lanes' e is ignored, as on the device. Indices must increase within a
//   group (::ordered_metadata requires it; it is one valid choice for
//   plain mma.sp, whose only invalid pairs are equal indices): anything
//   else is reported as an error of the launch (undefined on the device);
// - b[4] (the ISA's figure 121; CUTLASS: "a quad of threads holds the
//   following row values for a given column: T0 = 00 01 08 09 16 17 24
//   25, T1 = 02 03 10 11 ..."; MLIR's sparse-mma-2-4-f16.mlir: B[q][2t +
//   8r]): register r holds B[2t + 8r][q] (low) and B[2t + 8r + 1][q];
// - c[4], d[4] (as mma.m16n8k16 with f32 accumulators): c0, c1 are row q,
//   columns 2t, 2t + 1; c2, c3 the same columns of row q + 8.
//
// Arithmetic. The ISA leaves the order and rounding of the accumulation
// unspecified ("at least single precision"). The emulation computes each
// product exactly (an f16 x f16 or bf16 x bf16 product fits an f32's
// significand) and adds the 16 stored products of the row to c one at a
// time with fmaf, in increasing column order. Products of the zeros that
// were not stored are not formed (the hardware selects B's rows by the
// metadata), so an Inf or NaN of x in a pruned column does not reach the
// output here; a stored explicit zero times an Inf does give NaN. The
// device may round differently (its order is unspecified; tensor cores are
// known to align and truncate within a block of products): tests compare
// the device with a bound on the f32 accumulation error, the emulation bit
// for bit with a scalar model of this order (test/Unit/SparseTensorCore
// Test.cpp). Subnormal inputs are kept (the ISA leaves them unspecified).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_SIMTMMASP_H
#define PRUNE_OPT_LIB_GPURUNTIME_SIMTMMASP_H

#ifndef PRUNE_SIMT_EMU
#error "SimtMmaSp.h is part of the SIMT emulation: include SimtEmu.h first"
#endif

#include "Float16.h"

#include <cmath>
#include <cstdint>
#include <string>

namespace simt {

/// One lane's view of mma.sp.m16n8k32 (see the top of the file).
inline void mmaSpM16N8K32(pruneopt::gpu::SptcType type, float (&d)[4],
                          const uint32_t (&a)[4], const uint32_t (&b)[4],
                          const float (&c)[4], uint32_t e, unsigned selector) {
  struct Operands {
    uint32_t a[4], b[4];
    float c[4];
    uint32_t e, selector;
  };
  Operands mine;
  for (int i = 0; i < 4; ++i) {
    mine.a[i] = a[i];
    mine.b[i] = b[i];
    mine.c[i] = c[i];
  }
  mine.e = e;
  mine.selector = selector;
  struct Result {
    float d[4];
  };
  Result r =
      warpCollective("mma.sp", mine, [&](const Operands *all, unsigned lane) {
        auto half = [&](uint32_t word, int hi) {
          return pruneopt::gpu::fromSixteen(
              type, uint16_t(hi ? word >> 16 : word & 0xffffu));
        };
        unsigned q = lane / 4, t = lane % 4;
        for (unsigned l = 0; l < kWarpSize; ++l)
          if (all[l].selector != selector) {
            fail("mma.sp: the lanes of a warp give different sparsity "
                 "selectors (an immediate on the device)");
            return Result{};
          }
        if (selector > 1) {
          fail("mma.sp: sparsity selector " + std::to_string(selector) +
               " (m16n8k32 f16/bf16 takes 0 or 1)");
          return Result{};
        }
        // Column n of B, n = 2t and 2t + 1: lane 4n + (k % 8) / 2, register
        // k / 8, half k % 2.
        float bcol[2][32];
        for (int j = 0; j < 2; ++j) {
          unsigned n = 2 * t + j;
          for (int k = 0; k < 32; ++k)
            bcol[j][k] = half(all[4 * n + (k % 8) / 2].b[k / 8], k % 2);
        }
        Result out;
        for (int i = 0; i < 4; ++i) {
          unsigned row = q + (i >= 2 ? 8 : 0);
          float acc = all[lane].c[i];
          // Groups 0..7 of the row, in column order; group g is in lane
          // 4q + g % 4, register (row >= 8) + 2 (g >= 4); its indices in
          // lane 4q + 2 selector + g / 4, bits 2j, j = 8 (row >= 8) +
          // 2 (g % 4) (+1 for the second value).
          for (int g = 0; g < 8; ++g) {
            uint32_t word =
                all[4 * q + g % 4].a[(row >= 8 ? 1 : 0) + (g >= 4 ? 2 : 0)];
            uint32_t meta = all[4 * q + 2 * selector + g / 4].e;
            int j = (row >= 8 ? 8 : 0) + 2 * (g % 4);
            unsigned i0 = (meta >> (2 * j)) & 3u,
                     i1 = (meta >> (2 * j + 2)) & 3u;
            if (i0 >= i1) {
              fail("mma.sp: metadata of lane " +
                   std::to_string(4 * q + 2 * selector + g / 4) + " bits " +
                   std::to_string(2 * j + 3) + ".." + std::to_string(2 * j) +
                   " = indices " + std::to_string(i0) + ", " +
                   std::to_string(i1) +
                   ": not increasing (undefined on the device)");
              return Result{};
            }
            acc = std::fma(half(word, 0), bcol[i % 2][4 * g + i0], acc);
            acc = std::fma(half(word, 1), bcol[i % 2][4 * g + i1], acc);
          }
          out.d[i] = acc;
        }
        return out;
      });
  for (int i = 0; i < 4; ++i)
    d[i] = r.d[i];
}

} // namespace simt

#endif // PRUNE_OPT_LIB_GPURUNTIME_SIMTMMASP_H
