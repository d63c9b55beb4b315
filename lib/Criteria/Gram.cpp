//===- Gram.cpp - Accumulation of calibration Gram matrices ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/Gram.h"

#include "Dense.h"

#include <algorithm>
#include <cstring>

using namespace mlir::prune;

GramAccumulator::GramAccumulator(int64_t cols, unsigned threads)
    : numCols(std::max<int64_t>(cols, 0)), threads(std::max(1u, threads)) {
  // Blocks of at least ~256 rows keep the SYRK near its peak; the stage is
  // capped at 4 MiB.
  stageCapacity =
      std::clamp<int64_t>((int64_t(1) << 20) / std::max<int64_t>(numCols, 1),
                          16, 256);
  partial.assign(numCols * numCols, 0.0f);
  sum.assign(numCols * numCols, 0.0);
}

void GramAccumulator::syrk(const float *x, int64_t rows) {
  if (rows == 0)
    return;
  {
    dense::KernelThreads scope(threads);
    dense::syrkLowerAtA(numCols, rows, x, numCols, 1.0f, partial.data(),
                        numCols);
  }
  unflushed += rows;
  if (unflushed >= flushRows())
    flush();
}

void GramAccumulator::flush() {
  for (int64_t i = 0; i < numCols; ++i) {
    float *p = &partial[i * numCols];
    double *s = &sum[i * numCols];
    for (int64_t j = 0; j <= i; ++j)
      s[j] += double(p[j]);
    std::fill(p, p + i + 1, 0.0f);
  }
  unflushed = 0;
}

void GramAccumulator::add(const float *x, int64_t rows) {
  if (rows <= 0 || numCols == 0)
    return;
  totalRows += rows;
  if (rows >= stageCapacity) {
    syrk(x, rows);
    return;
  }
  if (stage.empty())
    stage.resize(stageCapacity * numCols);
  while (rows > 0) {
    int64_t take = std::min(rows, stageCapacity - staged);
    std::memcpy(&stage[staged * numCols], x, sizeof(float) * take * numCols);
    staged += take;
    x += take * numCols;
    rows -= take;
    if (staged == stageCapacity) {
      syrk(stage.data(), staged);
      staged = 0;
    }
  }
}

std::vector<double> GramAccumulator::gram() {
  syrk(stage.data(), staged);
  staged = 0;
  if (unflushed > 0)
    flush();
  std::vector<double> h(numCols * numCols);
  for (int64_t i = 0; i < numCols; ++i)
    for (int64_t j = 0; j <= i; ++j)
      h[i * numCols + j] = h[j * numCols + i] = sum[i * numCols + j];
  return h;
}
