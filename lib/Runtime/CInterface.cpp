//===- CInterface.cpp - MLIR's C interface to the kernels -----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The _mlir_ciface_prune_mr_* functions that nn-lower-kernels calls, one per
// row of Kernels.def: memref descriptors to their format's kernel, with the
// same arrays run/runStrided hand it (Dispatch.cpp).
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// The memref descriptor of MLIR's C interface (StridedMemRefType) for any
/// element type: the pointers do not depend on it.
template <int N> struct MemRef {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(aligned) + offset;
  }
};

/// y [batch, rows] and x [batch, cols], with any strides; a bias memref of
/// size 0 means none.
Args argsOf(MemRef<2> *y, MemRef<2> *x, int32_t flags, MemRef<1> *bias) {
  float *yp = const_cast<float *>(y->data<float>());
  return makeArgs(yp, y->strides[0], y->strides[1], x->data<float>(),
                  x->strides[0], x->strides[1], y->sizes[0], y->sizes[1],
                  x->sizes[1], flags,
                  bias->sizes[0] ? bias->data<float>() : nullptr);
}
} // namespace

extern "C" {
// _mlir_ciface_prune_mr_<Symbol>(y, x, arrays..., scalars..., flags, bias).
#define PRUNE_ARRAY_PARAM(Field, Type, Suffix) MemRef<1> *Field,
#define PRUNE_SCALAR_PARAM(Field) int64_t Field,
#define PRUNE_ARRAY(Field, Type, Suffix) w.Field = Field->data<Type>();
#define PRUNE_SCALAR(Field) w.Field = Field;
#define PRUNE_KERNEL(Symbol, Fmt, ColBits, VT, Arrays, Scalars)                \
  void _mlir_ciface_prune_mr_##Symbol(                                         \
      MemRef<2> *y, MemRef<2> *x, Arrays(PRUNE_ARRAY_PARAM)                    \
          PRUNE_VALUES_##VT(PRUNE_ARRAY_PARAM) Scalars(PRUNE_SCALAR_PARAM)     \
              int32_t flags,                                                   \
      MemRef<1> *bias) {                                                       \
    WeightRef w;                                                               \
    w.colBits = ColBits;                                                       \
    w.valueType = ValueType::VT;                                               \
    Arrays(PRUNE_ARRAY) PRUNE_VALUES_##VT(PRUNE_ARRAY)                         \
        Scalars(PRUNE_SCALAR) run##Fmt(argsOf(y, x, flags, bias), w);          \
  }
#include "prune-opt/Runtime/Kernels.def"
#undef PRUNE_ARRAY_PARAM
#undef PRUNE_SCALAR_PARAM
#undef PRUNE_ARRAY
#undef PRUNE_SCALAR
} // extern "C"
