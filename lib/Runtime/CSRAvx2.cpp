//===- CSRAvx2.cpp - The AVX2 csr kernels -------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "Avx2Impl.h"

#if PRUNE_X86
using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

bool pruneopt::kernels::impl::csrAvx2(const Args &, const WeightRef &,
                                         double) {
  return false;
}
#endif
