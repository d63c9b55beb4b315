//===- Layout.cpp - Layout policy, cost model and materialization ---------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Layout/Layout.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

using namespace mlir::prune::layout;
namespace kernels = ::pruneopt::kernels;

// Batched layers: csr, bitmask and N:M weights run faster as csr-tiled (at
// batch 32, 4096^2: 2:4 3.5x faster than the N:M kernel, bitmask at 70 % 10x
// faster; their per-row selects and expands only pay at batch 1).
bool mlir::prune::layout::usesBatchedLayout(Format format, int64_t batch,
                                            int64_t tiledFromBatch,
                                            Target target) {
  bool hasBatchedLayout =
      target == Target::Cpu &&
      (format == Format::CSR || format == Format::WindowCSR ||
       format == Format::Bitmask || format == Format::NM);
  return hasBatchedLayout && tiledFromBatch > 0 && batch >= tiledFromBatch;
}

/// materialize() of values already rounded to `valueType` (with their
/// `scales` for i8): packs them, then narrows the arrays.
static bool materializeRounded(const float *rounded,
                               const std::vector<float> &scales, int64_t rows,
                               int64_t cols, Format format, bool batched,
                               const Structure &s, PackedWeight &out,
                               ValueType valueType) {
  if (!materialize(rounded, rows, cols, format, batched, s, out))
    return false;
  if (valueType != ValueType::F32)
    kernels::narrowValues(out, valueType, scales);
  return true;
}

bool mlir::prune::layout::materialize(const float *w, int64_t rows,
                                      int64_t cols, Format format,
                                      bool batched, const Structure &s,
                                      PackedWeight &out, ValueType valueType) {
  if (valueType != ValueType::F32) {
    // Pack the values as the type stores them, then narrow the arrays.
    std::vector<float> scales;
    std::vector<float> q =
        kernels::quantizeValues(w, rows, cols, valueType, scales);
    return materializeRounded(q.data(), scales, rows, cols, format, batched, s,
                              out, valueType);
  }
  switch (format) {
  case Format::Dense:
    out = kernels::packDense(w, rows, cols);
    return true;
  case Format::CSR:
    out = kernels::packCSR(w, rows, cols);
    break;
  case Format::Bitmask:
    out = kernels::packBitmask(w, rows, cols);
    break;
  case Format::BSR:
    return kernels::packBSR(w, rows, cols, s.blockRows, s.blockCols, out);
  case Format::NM:
    if (!kernels::packNM(w, rows, cols, s.n, s.m, out))
      return false;
    break;
  case Format::TiledCSR:
    out = kernels::packTiledCSR(w, rows, cols);
    return true;
  case Format::WindowCSR:
    out = kernels::packWindowCSR(w, rows, cols);
    break;
  }
  // The batched layout of csr, csr-window, bitmask and N:M weights.
  if (batched)
    out = kernels::packTiledCSR(w, rows, cols);
  return true;
}

int64_t mlir::prune::layout::indexBits(const PackedWeight &p) {
  switch (p.format) {
  case Format::Dense:
    return 0;
  case Format::TiledCSR:
    return 8; // u8 columns within 256x256 tiles
  case Format::WindowCSR:
    return 8; // u8 columns within 32-column windows
  case Format::CSR:
  case Format::BSR:
    return p.colBits;
  case Format::Bitmask:
    return 1;
  case Format::NM:
    return p.n == 2 && p.m == 4 ? 2 : 8;
  }
  return 0;
}

Isa mlir::prune::layout::hostIsa() {
  return prune_kernels_has_avx512() ? Isa::Avx512
         : prune_kernels_has_avx2() ? Isa::Avx2
                                    : Isa::Portable;
}

/// How much longer the portable kernels compute than the AVX-512 ones the
/// constants below were fitted on. Measured with prune-bench on a 2-vCPU
/// AMD EPYC without AVX-512, 4096x4096 at 90 % (2:4, 4x1 blocks), 1 thread,
/// against the terms below, and on the MNIST MLP's 784x128 layer at batch 1
/// (dense 14.5x; 18.1 against the AVX-512 dense term of 0.8 ns, 22.3
/// against its 0.65 since 2026-12-03; csr-window's 10 became 12.5 with its
/// terms' 0.8).
/// Bitmask has its own terms (kernelCost).
static double portableFactor(Format format, int64_t batch) {
  bool one = batch == 1;
  switch (format) {
  case Format::Dense:
    return one ? 22.3 : 60.0; // no vector register blocking
  case Format::CSR:
    return one ? 2.0 : 12.0;
  case Format::TiledCSR:
    return 26.0;
  case Format::WindowCSR:
    return 12.5; // a scalar walk over each step's rows (4096x4096 at 90 %)
  case Format::Bitmask:
    return 1.0; // (its own terms)
  case Format::BSR:
    return one ? 14.0 : 38.0;
  case Format::NM:
    return 16.0;
  }
  return 1.0;
}

/// The AVX2 kernels' compute time relative to the terms above (which were
/// fitted on the AVX-512 kernels and are conservative for dense and csr at
/// batch 1), by value type: widening 8 or 16 bits costs an instruction per
/// 8 values. Fitted with prune-bench on a 2-vCPU AMD EPYC (Zen 3, AVX2, no
/// AVX-512), 4096x4096 at 90 % (2:4, 4x1 blocks), 1 thread, batches 1 and
/// 32: e.g. dense i8 0.69 ms with the weight in cache against the terms'
/// 1.05 ms, csr-tiled f32 2.7-2.9 ms against 2.16 ms.
static double avx2Factor(Format format, int64_t batch, ValueType type) {
  bool one = batch == 1;
  double widen = type == ValueType::F32 ? 1.0 : 1.1;
  switch (format) {
  case Format::Dense:
    // Batch 1: 0.9 (0.72 of the dense term before its AVX-512 refit)
    // fitted on the MNIST MLP's cache-resident 128x784 (4.6-4.9 us measured
    // with the kernel library's run(), 1 thread); 1.11 since the term's
    // 0.8 ns became 0.65 (2026-12-03).
    return (one ? 1.11 : 1.3) * widen;
  case Format::CSR:
    // Batch 1: 0.86 cycles per entry on 4096x4096 from cache; ~0.24 ns
    // per entry on the MNIST MLP's cache-resident 128x784 (plus a per-row
    // term below).
    return (one ? 0.53 : 1.2) * widen;
  case Format::TiledCSR:
    return 1.3 * widen; // (plus x staging: kernelCost)
  case Format::WindowCSR:
    return 12.5; // no AVX2 kernel: the portable one (see portableFactor)
  case Format::Bitmask:
    return 1.0; // (its own terms)
  case Format::BSR:
    return (one ? 1.5 : 1.0) * widen;
  case Format::NM:
    return (one ? 0.8 : 2.0) * widen;
  }
  return 1.0;
}

/// The AVX-512 one-row csr kernel (csrRows1) on one batch row: a row of up
/// to 8 entries is one 8-lane gather (since 2026-12-02 scalar loads, as
/// fast there and faster on a Zen 4's slow gathers: 128x784 with 1, 4 and 8
/// entries per row 2.1, 3.0 and 4.8 ns per row, inside this term), up to
/// 16 one 16-lane gather, longer
/// rows ~0.45 ns per entry (pairs of 16-lane gathers). Measured through
/// the kernel library's run() from cache, 1 thread, 128x784, 64x64 and
/// 1024x4096 with n entries in every row (Xeon EMR, medians of runs
/// minutes apart, less the call): empty rows ~1.9 ns, n = 1-8 3.4-5.5 ns
/// per row, 9-16 ~5.6, 17 ~8.3, 32 ~16, 64 ~32, 200 ~80. The per-entry
/// term alone (0.45 ns plus 3 per row) had 99.5 % of the MNIST MLP's
/// 128x784 at 670 ns and 99 % at 896 where both ran 0.53-0.68 us.
static double csrRowsAvx512Ns(llvm::ArrayRef<int32_t> rowPtr) {
  double ns = 0;
  for (size_t r = 0; r + 1 < rowPtr.size(); ++r) {
    int32_t n = rowPtr[r + 1] - rowPtr[r];
    ns += n == 0 ? 2.0 : n <= 8 ? 4.5 : n <= 16 ? 6.0 : 2.5 + 0.45 * n;
  }
  return ns;
}

double mlir::prune::layout::kernelCost(const PackedWeight &p, int64_t batch,
                                       bool transposedInput,
                                       const CostModel &model) {
  if (model.target == Target::Gpu)
    return gpuKernelCost(p, batch, model.gpu);
  // Batched sparse kernels transpose x unless it arrives transposed.
  double transpose = transposedInput ? 0.0 : p.cols * batch * 0.5;
  double bytes = p.bytes();
  bool resident = bytes <= model.cacheKiB * 1024.0;
  double bw = model.bandwidthGBs * (resident ? 8.0 : 1.0); // bytes per ns
  double memory = bytes / bw;
  double vectors = std::ceil(batch / 16.0); // batched kernels: lanes
  // Per output row: a horizontal sum per batch row in the one-row
  // kernels, a column store per 32 batch rows in the batched ones.
  bool batched = batch >= 4;
  double perRow = batched ? std::ceil(batch / 32.0) * 10.0 : batch * 3.0;
  double compute = 0, rows = p.rows;
  // The AVX-512 kernels of dense, csr and 4x1 bsr at batch < 4, csr-tiled,
  // bitmask and 2:4 read every value type (widened in registers; 4096x4096
  // csr 90 % from cache ~0.4 ms in f32, bf16 and i8 alike, csr-tiled 90 %
  // at batch 32 1.8 ms in f32 and i8, 2:4 i8 0.74 ms against f32's 1.3,
  // dense at batch 32 8.5 ms in i8 and 9.4 in f32, bitmask bound by its
  // expansions in every type, 4x1 90 % evicted 0.28 ms in i8 and 0.56 in
  // f32); the other AVX-512 kernels read f32 only, other value types run
  // the AVX2 kernels.
  bool avx512Values =
      p.valueType == ValueType::F32 || p.format == Format::Dense ||
      p.format == Format::Bitmask ||
      (p.format == Format::BSR && !batched && p.blockRows == 4 &&
       p.blockCols == 1) ||
      (p.format == Format::CSR && !batched) || p.format == Format::TiledCSR ||
      p.format == Format::WindowCSR ||
      (p.format == Format::NM && p.n == 2 && p.m == 4);
  Isa isa = model.isa == Isa::Avx512 && !avx512Values ? Isa::Avx2 : model.isa;
  switch (p.format) {
  case Format::Dense:
    // Batch 1: ~0.65 ns per 16 multiply-adds on cache-resident layers
    // (through runStrided, least of 3,000 calls, Zen 4: MLP 128x784 3.9-4.1
    // us, LeNet's 120x400 2.1-2.3, 84x120 0.50-0.58, 256x256 2.7-2.9;
    // the whole dense MLP 3.9-4.6 us in prune-run on the Xeon EMR, where
    // 0.8 was fitted on a slower minute); from memory the bytes bound it.
    compute = rows * p.cols * batch / 16.0 * (batch == 1 ? 0.65 : 0.30) +
              rows * batch * 0.5;
    break;
  case Format::CSR:
    if (!batched && isa == Isa::Avx512 && p.rowPtr.size() == size_t(rows) + 1) {
      compute = batch * csrRowsAvx512Ns(p.rowPtr);
      break;
    }
    compute =
        (batched ? p.nnz * vectors * 1.2 + transpose : p.nnz * batch * 0.45) +
        rows * perRow;
    break;
  case Format::TiledCSR: {
    // Always batched, in chunks of up to 32 batch rows: per entry and
    // chunk (0.75 ns with 16 lanes, 0.9 with 32), per (row, column tile)
    // visit and chunk (8 ns), plus the transposes of x and y. Fitted on
    // 64x64 to 4096x4096 layers, batch 8 to 64 (prune-bench).
    double chunks = std::ceil(batch / 32.0);
    compute = p.nnz * chunks * (batch <= 16 ? 0.75 : 0.9) +
              double(p.rowIds.size()) * chunks * 8.0 + transpose +
              rows * batch * 0.5;
    break;
  }
  case Format::WindowCSR:
    // Per step (and batch row) ~2.25 ns, and ~5 ns per group of 16 rows;
    // measured through the kernel library's run() from cache, 1 thread:
    // 64x64 to 1024x1024, 50 % to 99 % (e.g. 1024x1024 at 90 %, 9.4k
    // steps: 21.2 us in f32 and bf16; csr f32 28.2); through runStrided on
    // a Zen 4 (least of 3,000 calls): LeNet's 120x400 at 99.5 % 290-320
    // ns, the MLP's 128x784 at 99.5 % 430-450 ns (these terms: 297, 468;
    // until 2026-12-03 they were scaled by 1.25 as the dense term above
    // was). i8 weights hold two u16
    // masks per pair of steps sharing a window (~1.04 per step of the
    // others): 0.66 of the f32 time per mask, measured side by side on a
    // Zen 4 (1024x1024 at 90 % 10.2 against 15.7 us, 99 % 4.4 / 4.2 us
    // with 3.6k / 2.4k masks, 256x256 at 50 % 2.8 / 3.7 us, 128x784 at
    // 90 % 1.2 / 2.0 us).
    compute = double(p.masks.size()) * batch *
                  (p.valueType == ValueType::I8 ? 1.48 : 2.24) +
              std::ceil(rows / 16.0) * batch * 4.8;
    break;
  case Format::Bitmask:
    // The AVX-512 and AVX2 kernels expand the values under each mask chunk
    // whatever its popcount (AVX2: ~0.7 ns per 8 columns, measured on Zen 3
    // at 50-90 %); the portable one walks the set bits: per chunk and per
    // entry (fitted on 4096x4096 at 90 % and 784x128 at 50 %). With i8
    // values the AVX-512 kernel expands four chunks' bytes at once
    // (vpexpandb, VBMI2): 0.67-0.70 of the time per chunk of the other
    // value types on a Zen 4 (4096x4096 at 90 % and 512x512 at 50 % from
    // cache, 1 thread, side by side), hence 1.05 ns for 1.5. (AVX-512
    // CPUs without VBMI2, Skylake to Cascade Lake, keep the 1.5.)
    compute = isa == Isa::Portable
                  ? rows * std::ceil(p.cols / 16.0) * batch * 8.9 +
                        p.nnz * batch * 0.9 + rows * batch * 3.0
                  : rows * std::ceil(p.cols / 16.0) * batch *
                            (isa == Isa::Avx512 && p.valueType == ValueType::I8
                                 ? 1.05
                                 : 1.5) +
                        rows * batch * 3.0;
    break;
  case Format::BSR:
    compute =
        (batched ? p.nnz * vectors * 0.6 + transpose : p.nnz * batch * 0.10) +
        rows / p.blockRows * perRow;
    break;
  case Format::NM:
    // 2:4 per 16 values and batch row: 2.5 ns (fitted on the Xeon); at
    // batch 1 the AVX-512 kernel walks four rows at once and took 0.43-0.59
    // of the one-row kernel's time on a Zen 5 (256x256 to 1024x1024 from
    // cache, f32 and i8, side by side): 1.4 ns, 1.1 since the dense term
    // went 0.8 -> 0.65 (on a Zen 4 from cache, through runStrided: 2:4 at
    // 256x256 2.67-2.74 us and dense 2.67-2.69; 512x512 5.74-6.14 and
    // 6.42-6.53).
    compute = ((p.n == 2 && p.m == 4)
                   ? p.nnz / 16.0 * batch *
                         (batch == 1 && isa == Isa::Avx512 ? 1.1 : 2.5)
                   : p.nnz * batch * 1.5) +
              rows * batch * 3.0;
    break;
  }
  if (isa == Isa::Portable && p.format != Format::Bitmask)
    compute *= portableFactor(p.format, batch);
  if (isa == Isa::Avx2)
    compute *= avx2Factor(p.format, batch, p.valueType);
  // The AVX-512 2:4 kernel with narrow values, 4096x4096 from cache, 1
  // thread: i8 0.74 ms, bf16 0.89 ms against the term's 1.31 (fitted on
  // f32, where the bytes bound it anyway).
  if (isa == Isa::Avx512 && p.format == Format::NM && p.n == 2 && p.m == 4 &&
      p.valueType != ValueType::F32)
    compute *= p.valueType == ValueType::I8 ? 0.57 : 0.68;
  // The AVX2 csr-tiled kernel stages every element of x in its chunk
  // buffers, transposed or not: ~1.3 ns each, measured on 16x150 at batch
  // 100 (csr-tiled 90 % 0.82x of dense, its time nearly independent of the
  // sparsity) and LeNet's 6x25 at 784 positions.
  if (isa == Isa::Avx2 && p.format == Format::TiledCSR)
    compute += double(p.cols) * batch * 1.3;
  // The AVX2 one-row csr kernel spends ~4.3 ns per row (its partial last
  // group of 8 entries, branches on the row length), measured on the MNIST
  // MLP's cache-resident 128x784 at 80-99 % (1 thread): 5.29, 1.81, 1.14
  // and 0.85 us for the terms' 4.35, 1.22, 0.60, 0.39 before this term and
  // the call's.
  if (isa == Isa::Avx2 && p.format == Format::CSR && !batched)
    compute += rows * batch * 2.9;
  // Every call: dispatch, argument checks, the split into thread units
  // (~60 ns measured through the kernel library's run() on 8x784 with no
  // entries, and 10x128 dense: 132 ns).
  constexpr double kCallNs = 60.0;
  return std::max(memory, compute) + kCallNs;
}

double mlir::prune::layout::inPlaceConvCost(const PackedWeight &p,
                                            int64_t positions,
                                            const CostModel &model) {
  if (model.target == Target::Gpu || model.isa != Isa::Avx512 ||
      p.valueType != ValueType::F32)
    return kernelCost(p, positions, /*transposedInput=*/true, model);
  // Per output row and block of 128 positions ~6 ns (the stores with the
  // epilogue, the loop), per entry and 16 positions ~0.5 ns (an FMA on an
  // unaligned load, split across cache lines), plus the call. Measured
  // through runStrided from cache, 1 thread, on LeNet's two grids (6x892,
  // 16x136) and 32x358, 0-50 % of the filter kept: e.g. 16x136 with 1,199
  // entries 11.7 us on a slow minute; 6x892 with no entries 0.43-0.75 us
  // into a buffer 16 bytes off a cache line, 0.32-0.33 us into an aligned
  // one (Zen 4, 2026-12-03: the compiled model's buffers are aligned since;
  // 9 ns per block before).
  double blocks = std::ceil(positions / 128.0);
  return double(p.rows) * blocks * 6.0 +
         double(p.nnz) * std::ceil(positions / 16.0) * 0.5 + 60.0;
}

KernelLayout mlir::prune::layout::chooseKernelLayout(
    const float *w, int64_t rows, int64_t cols, llvm::ArrayRef<FcUse> uses,
    std::optional<Format> requested, const Structure &structure,
    const CostModel &model, int64_t tiledFromBatch,
    llvm::ArrayRef<ValueType> valueTypes) {
  static constexpr ValueType kF32[] = {ValueType::F32};
  if (valueTypes.empty())
    valueTypes = kF32;
  int64_t maxBatch = 1;
  for (const FcUse &use : uses)
    maxBatch = std::max(maxBatch, use.batch);
  struct Candidate {
    Format format;
    ValueType valueType;
    bool batched;
    PackedWeight packed;
    double cost = 0;
  };
  std::vector<Candidate> candidates;
  // The values as each narrow type stores them (and their scales), rounded
  // once for every format (materialize would round them per format).
  struct Rounded {
    std::vector<float> values, scales;
  };
  std::vector<std::optional<Rounded>> rounded(valueTypes.size());
  auto add = [&](Format format) {
    if (model.target == Target::Gpu && !hasGpuKernel(format))
      return false;
    if (!requested && format != Format::Dense && !model.allows(format))
      return false;
    for (auto [t, type] : llvm::enumerate(valueTypes)) {
      Candidate c{
          format, type,
          usesBatchedLayout(format, maxBatch, tiledFromBatch, model.target),
          {}};
      if (type != ValueType::F32 && !rounded[t]) {
        rounded[t].emplace();
        rounded[t]->values =
            kernels::quantizeValues(w, rows, cols, type, rounded[t]->scales);
      }
      bool packed =
          type == ValueType::F32
              ? materialize(w, rows, cols, format, c.batched, structure,
                            c.packed)
              : materializeRounded(rounded[t]->values.data(),
                                   rounded[t]->scales, rows, cols, format,
                                   c.batched, structure, c.packed, type);
      if (!packed)
        return false;
      for (const FcUse &use : uses)
        c.cost += kernelCost(c.packed, use.batch, use.transposedInput, model);
      candidates.push_back(std::move(c));
    }
    return true;
  };
  KernelLayout result;
  if (!requested) {
    add(Format::Dense);
    add(Format::CSR);
    // Its kernel is AVX-512 only (elsewhere the portable one runs); at
    // batched uses it is csr-tiled, as csr is.
    if (model.target == Target::Cpu && model.isa == Isa::Avx512 &&
        !usesBatchedLayout(Format::WindowCSR, maxBatch, tiledFromBatch))
      add(Format::WindowCSR);
    add(Format::Bitmask);
    if (structure.blockRows > 0)
      add(Format::BSR);
    if (structure.m > 0)
      add(Format::NM);
  } else if (!add(*requested)) {
    result.fellBack = true;
    add(Format::CSR);
  }
  // The first candidate is the reference every other is compared with:
  // for auto, dense with the widest value type (dense with narrower values
  // is another candidate); for a requested format, it with the widest.
  // Size: the fastest of the eligible candidates within sizeSlack of the
  // smallest eligible one's bytes (ties in cost to the smaller); latency:
  // the fastest eligible.
  double refCost = candidates.front().cost;
  double refBytes = candidates.front().packed.bytes();
  std::vector<size_t> eligible;
  double smallest = std::numeric_limits<double>::infinity();
  for (size_t i = 1; i < candidates.size(); ++i) {
    double bytes = candidates[i].packed.bytes();
    if (!model.prefersSparse(candidates[i].cost, refCost, bytes, refBytes))
      continue;
    eligible.push_back(i);
    smallest = std::min(smallest, bytes);
  }
  size_t best = 0;
  for (size_t i : eligible) {
    double bytes = candidates[i].packed.bytes();
    if (model.objective == Objective::Size &&
        bytes > smallest * (1.0 + model.sizeSlack))
      continue;
    if (best == 0 || candidates[i].cost < candidates[best].cost ||
        (candidates[i].cost == candidates[best].cost &&
         bytes < candidates[best].packed.bytes()))
      best = i;
  }
  result.format = candidates[best].format;
  result.valueType = candidates[best].valueType;
  for (const Candidate &c : candidates)
    if (c.valueType == result.valueType)
      result.costs.push_back({c.format, c.cost});
  result.batched = candidates[best].batched;
  result.batch = maxBatch;
  result.packed = std::move(candidates[best].packed);
  return result;
}

bool mlir::prune::layout::parseValueTypes(
    llvm::ArrayRef<std::string> names, llvm::SmallVectorImpl<ValueType> &types,
    std::string &bad) {
  types.clear();
  for (const std::string &name : names) {
    ValueType type;
    if (!kernels::parseValueType(name.c_str(), type)) {
      bad = name;
      return false;
    }
    if (!llvm::is_contained(types, type))
      types.push_back(type);
  }
  llvm::stable_sort(types, [](ValueType a, ValueType b) {
    return kernels::valueBytes(a) > kernels::valueBytes(b);
  });
  return true;
}

CostModel mlir::prune::layout::budgetModel(bool bytes, Isa isa) {
  CostModel model;
  model.isa = isa;
  model.objective = bytes ? Objective::Size : Objective::Latency;
  model.margin = bytes ? std::numeric_limits<double>::infinity() : 0.0;
  model.sizeSlack = 0.0;
  return model;
}

bool CostModel::prefersSparse(double sparse, double dense, double sparseBytes,
                              double denseBytes) const {
  if (objective == Objective::Latency)
    return sparse < (1.0 - margin) * dense;
  return sparseBytes < denseBytes && sparse <= (1.0 + margin) * dense;
}

std::pair<double, double>
mlir::prune::layout::loopCosts(double n, double bytes, int64_t nnz,
                               llvm::ArrayRef<LoopUse> uses,
                               const CostModel &model) {
  bool resident = bytes <= model.cacheKiB * 1024.0;
  double dense = 0, csr = 0;
  for (const LoopUse &use : uses) {
    double cMac = use.reuse > 1 ? 0.25 : 0.10;
    double cNnz = use.reuse > 1 ? 0.75 : (resident ? 0.5 : 1.2);
    dense += n * std::max(use.reuse * cMac, resident ? 0.0 : 0.45);
    csr += nnz * use.reuse * cNnz * (use.reductionDims > 1 ? 3.0 : 1.0) +
           use.outputs * use.reuse * 2.0;
  }
  return {dense, csr};
}
