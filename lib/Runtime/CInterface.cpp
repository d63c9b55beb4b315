//===- CInterface.cpp - MLIR's C interface to the kernels -----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The _mlir_ciface_prune_mr_* functions that nn-lower-kernels calls: memref
// descriptors to the raw prune_fc_* entry points.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Runtime/Kernels.h"

namespace {
/// The memref descriptor of MLIR's C interface (StridedMemRefType).
template <typename T, int N> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
  T *data() const { return aligned + offset; }
};

/// Calls fn(y, ys, yo, x, xs, xk): the kernels take any strides.
template <typename Fn>
void withRows(MemRef<float, 2> *y, MemRef<float, 2> *x, Fn fn) {
  fn(y->data(), y->strides[0], y->strides[1], x->data(), x->strides[0],
     x->strides[1]);
}
/// A bias memref of size 0 means none.
inline const float *biasOf(MemRef<float, 1> *bias) {
  return bias->sizes[0] ? bias->data() : nullptr;
}
} // namespace

extern "C" {
void _mlir_ciface_prune_mr_dense(MemRef<float, 2> *y, MemRef<float, 2> *x,
                                 MemRef<float, 1> *panels, int32_t flags,
                                 MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_dense(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],
                            x->sizes[1], panels->data(), flags, biasOf(bias));
           });
}

#define PRUNE_CSR_CIFACE(NAME, T, WIDE)                                        \
  void _mlir_ciface_prune_mr_##NAME(                                           \
      MemRef<float, 2> *y, MemRef<float, 2> *x, MemRef<int32_t, 1> *rowPtr,    \
      MemRef<T, 1> *col, MemRef<float, 1> *values, int32_t flags,              \
      MemRef<float, 1> *bias) {                                                \
    withRows(y, x,                                                             \
             [&](float *yp, int64_t ys, int64_t yo, const float *xp,           \
                 int64_t xs, int64_t xk) {                                     \
               prune_fc_csr(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],  \
                            x->sizes[1], rowPtr->data(), col->data(), WIDE,    \
                            values->data(), flags, biasOf(bias));              \
             });                                                               \
  }
PRUNE_CSR_CIFACE(csr8, int8_t, 8)
PRUNE_CSR_CIFACE(csr16, int16_t, 16)
PRUNE_CSR_CIFACE(csr32, int32_t, 32)
#undef PRUNE_CSR_CIFACE

#define PRUNE_BSR_CIFACE(NAME, T, WIDE)                                        \
  void _mlir_ciface_prune_mr_##NAME(                                           \
      MemRef<float, 2> *y, MemRef<float, 2> *x, MemRef<int32_t, 1> *rowPtr,    \
      MemRef<T, 1> *col, MemRef<float, 1> *values, int64_t r, int64_t c,       \
      int32_t flags, MemRef<float, 1> *bias) {                                 \
    withRows(y, x,                                                             \
             [&](float *yp, int64_t ys, int64_t yo, const float *xp,           \
                 int64_t xs, int64_t xk) {                                     \
               prune_fc_bsr(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],  \
                            x->sizes[1], r, c, rowPtr->data(), col->data(),    \
                            WIDE, values->data(), flags, biasOf(bias));        \
             });                                                               \
  }
PRUNE_BSR_CIFACE(bsr8, int8_t, 8)
PRUNE_BSR_CIFACE(bsr16, int16_t, 16)
PRUNE_BSR_CIFACE(bsr32, int32_t, 32)
#undef PRUNE_BSR_CIFACE

void _mlir_ciface_prune_mr_bitmask(MemRef<float, 2> *y, MemRef<float, 2> *x,
                                   MemRef<int32_t, 1> *rowPtr,
                                   MemRef<int16_t, 1> *masks,
                                   MemRef<float, 1> *values, int32_t flags,
                                   MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_bitmask(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],
                              x->sizes[1], rowPtr->data(),
                              reinterpret_cast<const uint16_t *>(masks->data()),
                              values->data(), flags, biasOf(bias));
           });
}

void _mlir_ciface_prune_mr_csr_tiled(
    MemRef<float, 2> *y, MemRef<float, 2> *x, MemRef<int32_t, 1> *meta,
    MemRef<int16_t, 1> *runs, MemRef<int8_t, 1> *rowIds, MemRef<int8_t, 1> *col,
    MemRef<float, 1> *values, int32_t flags, MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_csr_tiled(
                 yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1], x->sizes[1],
                 meta->data(), reinterpret_cast<const uint16_t *>(runs->data()),
                 reinterpret_cast<const uint8_t *>(rowIds->data()),
                 reinterpret_cast<const uint8_t *>(col->data()), values->data(),
                 flags, biasOf(bias));
           });
}

void _mlir_ciface_prune_mr_nm(MemRef<float, 2> *y, MemRef<float, 2> *x,
                              MemRef<int8_t, 1> *codes,
                              MemRef<float, 1> *values, int64_t n, int64_t m,
                              int32_t flags, MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_nm(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],
                         x->sizes[1], n, m,
                         reinterpret_cast<const uint8_t *>(codes->data()),
                         values->data(), flags, biasOf(bias));
           });
}
} // extern "C"
