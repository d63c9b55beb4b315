//===- BitmaskAvx2.cpp - The AVX2 bitmask kernels -------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

bool pruneopt::kernels::impl::bitmaskAvx2(const Args &, const WeightRef &,
                                         double) {
  return false;
}
#endif
