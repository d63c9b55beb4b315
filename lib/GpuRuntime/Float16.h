//===- Float16.h - f16 and bf16 on the host, rounded as cvt.rn -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The 16-bit floating-point types of the sparse tensor cores
// (SparseTensorCore.cuh), converted on the host with integer arithmetic only,
// so that the packer (SparseTensorCorePack.h), the SIMT emulation of mma.sp
// (SimtMmaSp.h), the tests and prune-gpu-check all round exactly as the
// device's `cvt.rn.f16.f32` / `cvt.rn.bf16.f32` (and their x2 forms) do:
// round to nearest, ties to even; f16 keeps subnormal results and overflows
// to infinity from 65520 up (the tie above 65504, the largest finite f16);
// bf16 has f32's exponent range. A NaN becomes the quiet NaN 0x7fff (its
// payload and sign are not kept; nothing here depends on them).
//
// Host only (no CUDA, no LLVM): the device converts with cvt.rn.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_FLOAT16_H
#define PRUNE_OPT_LIB_GPURUNTIME_FLOAT16_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace pruneopt::gpu {

/// The 16-bit type of weights (and activations) on the sparse tensor cores;
/// the values are the C API's PRUNE_GPU_F16 and PRUNE_GPU_BF16.
enum class SptcType : int32_t { F16 = 1, BF16 = 2 };

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/// f32 -> IEEE binary16, round to nearest even.
inline uint16_t f32ToF16(float f) {
  uint32_t x = floatBits(f);
  uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u)
    return 0x7fff;
  if (ax >= 0x477ff000u) // >= 65520: the tie rounds to the even 2^16: inf
    return uint16_t(sign | 0x7c00u);
  if (ax >= 0x38800000u) { // >= 2^-14: a normal f16
    // Adding 0xfff (+1 if the kept last bit is odd) carries into the kept
    // bits exactly when the 13 dropped ones are above (or at, for an odd
    // kept value) one half: ties to even. The carry may bump the exponent,
    // which is the right result too.
    ax += 0xfffu + ((ax >> 13) & 1u);
    return uint16_t(sign | ((ax - 0x38000000u) >> 13)); // rebias 127 -> 15
  }
  // Below 2^-14: a multiple of 2^-24 (the f16 subnormal step). With the
  // 24-bit significand m and biased exponent e, |f| / 2^-24 =
  // m * 2^(e - 126); e <= 101 is below 2^-25 and rounds to zero.
  int e = int(ax >> 23);
  if (e < 102)
    return uint16_t(sign);
  uint32_t m = (ax & 0x7fffffu) | 0x800000u;
  int shift = 126 - e; // 14..24
  uint32_t r = m >> shift, rem = m & ((1u << shift) - 1u),
           half = 1u << (shift - 1);
  if (rem > half || (rem == half && (r & 1u)))
    ++r; // may become 0x400, the smallest normal: still right
  return uint16_t(sign | r);
}

/// IEEE binary16 -> f32 (exact).
inline float f16ToF32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu,
           mant = h & 0x3ffu;
  if (exp == 0x1f)
    return bitsFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    float v = std::ldexp(float(mant), -24); // subnormal (or zero): exact
    return sign ? -v : v;
  }
  return bitsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
}

/// f32 -> bfloat16 (the top half of an f32), round to nearest even.
inline uint16_t f32ToBf16(float f) {
  uint32_t x = floatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return 0x7fff;
  // Same carry trick as f16; overflow carries into the infinity pattern.
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

/// bfloat16 -> f32 (exact).
inline float bf16ToF32(uint16_t h) { return bitsFloat(uint32_t(h) << 16); }

inline uint16_t toSixteen(SptcType type, float f) {
  return type == SptcType::BF16 ? f32ToBf16(f) : f32ToF16(f);
}
inline float fromSixteen(SptcType type, uint16_t h) {
  return type == SptcType::BF16 ? bf16ToF32(h) : f16ToF32(h);
}
/// f rounded to `type` and back: what the tensor cores multiply.
inline float roundToSixteen(SptcType type, float f) {
  return fromSixteen(type, toSixteen(type, f));
}
inline const char *sixteenName(SptcType type) {
  return type == SptcType::BF16 ? "bf16" : "f16";
}

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_FLOAT16_H
