//===- Dispatch.cpp - run and runStrided ----------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The C++ entry points of Kernels.h: a packed weight to its kernel.
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;

void pruneopt::kernels::run(const PackedWeight &w, const float *x,
                            int64_t xStride, float *y, int64_t yStride,
                            int64_t batch, bool accumulate) {
  runStrided(w, x, xStride, 1, y, yStride, 1, batch, accumulate);
}

void pruneopt::kernels::runStrided(const PackedWeight &w, const float *x,
                                   int64_t xs, int64_t xk, float *y, int64_t ys,
                                   int64_t yo, int64_t batch, bool accumulate,
                                   const float *bias, bool relu) {
  int32_t flags = (accumulate ? PRUNE_ACCUMULATE : 0) | (relu ? PRUNE_RELU : 0);
  int64_t xStride = xs, yStride = ys;
  const void *col = w.colBits == 8 ? static_cast<const void *>(w.col8.data())
                    : w.colBits == 32
                        ? static_cast<const void *>(w.col32.data())
                        : static_cast<const void *>(w.col16.data());
  switch (w.format) {
  case Format::Dense:
    return prune_fc_dense(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                          w.values.data(), flags, bias);
  case Format::CSR:
    return prune_fc_csr(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                        w.rowPtr.data(), col, w.colBits, w.values.data(), flags,
                        bias);
  case Format::Bitmask:
    return prune_fc_bitmask(y, yStride, yo, x, xStride, xk, batch, w.rows,
                            w.cols, w.rowPtr.data(), w.masks.data(),
                            w.values.data(), flags, bias);
  case Format::BSR:
    return prune_fc_bsr(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                        w.blockRows, w.blockCols, w.rowPtr.data(), col,
                        w.colBits, w.values.data(), flags, bias);
  case Format::NM:
    return prune_fc_nm(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                       w.n, w.m, w.codes.data(), w.values.data(), flags, bias);
  case Format::TiledCSR:
    return prune_fc_csr_tiled(y, yStride, yo, x, xStride, xk, batch, w.rows,
                              w.cols, w.meta.data(), w.runs.data(),
                              w.rowIds.data(), w.col8.data(), w.values.data(),
                              flags, bias);
  }
}
