//===- Dispatch.cpp - A packed weight to its kernel -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The C++ entry points of Kernels.h that start from a PackedWeight: its row
// of Kernels.def gives the call compiled models make (kernelCall) and the
// arrays run/runStrided hand to its format's kernel -- the same ones the
// C interface hands it (CInterface.cpp).
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

#include <cstdio>
#include <cstdlib>
#include <iterator>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// The rows of Kernels.def.
enum class Entry {
#define PRUNE_KERNEL(Symbol, Format, ColBits, VT, Arrays, Scalars) Symbol,
#include "prune-opt/Runtime/Kernels.def"
};

struct EntryRow {
  Format format;
  int colBits;
  ValueType valueType;
};
constexpr EntryRow kEntries[] = {
#define PRUNE_KERNEL(Symbol, Fmt, ColBits, VT, Arrays, Scalars)                \
  {Format::Fmt, ColBits, ValueType::VT},
#include "prune-opt/Runtime/Kernels.def"
};

/// The row of Kernels.def that runs `w`: its format's, with its column
/// width where the format has several.
Entry entryOf(const PackedWeight &w) {
  for (size_t i = 0; i < std::size(kEntries); ++i)
    if (kEntries[i].format == w.format &&
        kEntries[i].valueType == w.valueType &&
        (kEntries[i].colBits == 0 || kEntries[i].colBits == w.colBits))
      return static_cast<Entry>(i);
  std::fprintf(stderr, "prune-opt kernels: no entry point for %s with %d-bit "
                       "columns and %s values\n",
               formatName(w.format), w.colBits, valueTypeName(w.valueType));
  std::abort();
}

template <typename T>
KernelArray arrayOf(const char *suffix, const std::vector<T> &v) {
  return {suffix,   int(sizeof(T) * 8), std::is_floating_point_v<T>,
          std::is_signed_v<T>, v.data(), int64_t(v.size())};
}
} // namespace

KernelCall pruneopt::kernels::kernelCall(const PackedWeight &w) {
  KernelCall call;
#define PRUNE_ARRAY(Field, Type, Suffix)                                       \
  call.arrays.push_back(arrayOf<Type>(Suffix, w.Field));
#define PRUNE_SCALAR(Field) call.scalars.push_back(w.Field);
  switch (entryOf(w)) {
#define PRUNE_KERNEL(Symbol, Fmt, ColBits, VT, Arrays, Scalars)                \
  case Entry::Symbol:                                                          \
    call.symbol = "prune_mr_" #Symbol;                                         \
    Arrays(PRUNE_ARRAY) PRUNE_VALUES_##VT(PRUNE_ARRAY)                         \
        Scalars(PRUNE_SCALAR) break;
#include "prune-opt/Runtime/Kernels.def"
  }
#undef PRUNE_ARRAY
#undef PRUNE_SCALAR
  return call;
}

void pruneopt::kernels::run(const PackedWeight &w, const float *x,
                            int64_t xStride, float *y, int64_t yStride,
                            int64_t batch, bool accumulate) {
  runStrided(w, x, xStride, 1, y, yStride, 1, batch, accumulate);
}

void pruneopt::kernels::runStrided(const PackedWeight &w, const float *x,
                                   int64_t xs, int64_t xk, float *y, int64_t ys,
                                   int64_t yo, int64_t batch, bool accumulate,
                                   const float *bias, bool relu) {
  Args a{y, ys, x, xs, batch, w.rows, w.cols, accumulate};
  a.yo = yo;
  a.xk = xk;
  a.bias = bias;
  a.relu = relu;
  // The arrays and scalars of w's entry point, as the C interface passes
  // them (ColBits 0: the format has one column width, if any).
  WeightRef r;
#define PRUNE_ARRAY(Field, Type, Suffix) r.Field = w.Field.data();
#define PRUNE_SCALAR(Field) r.Field = w.Field;
  switch (entryOf(w)) {
#define PRUNE_KERNEL(Symbol, Fmt, ColBits, VT, Arrays, Scalars)                \
  case Entry::Symbol:                                                          \
    r.colBits = ColBits ? ColBits : w.colBits;                                 \
    r.valueType = ValueType::VT;                                               \
    Arrays(PRUNE_ARRAY) PRUNE_VALUES_##VT(PRUNE_ARRAY) Scalars(PRUNE_SCALAR)   \
        return run##Fmt(a, r);
#include "prune-opt/Runtime/Kernels.def"
  }
#undef PRUNE_ARRAY
#undef PRUNE_SCALAR
}
