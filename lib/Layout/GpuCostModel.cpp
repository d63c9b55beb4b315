//===- GpuCostModel.cpp - Cost model of the GPU kernels -------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Predicts one call of lib/GpuRuntime's launch plan (launchFc in
// Kernels.cuh) for a packed weight: which kernels it launches, how many
// warps they keep in flight, what they read and from where. The chips'
// constants are public specifications; the others are estimates from
// public material. Nothing here has been measured on a GPU yet
// (docs/Design.md, "GPU cost model", has every term and constant).
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Layout/Layout.h"
#include "prune-opt/GpuRuntime/GpuPlan.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir::prune;
using namespace mlir::prune::layout;

// The launch plan's shape (GpuPlan.h, launchFc in Kernels.cuh): blocks of
// 8 warps; batch 1 runs one warp per output row (warp_rows); batch > 1 runs
// 32 x 32 output tiles per block (dense_tiled; tile_rows, whose warps take
// 4 rows each).
using ::pruneopt::gpu::kTile;
using ::pruneopt::gpu::kWarp;
using ::pruneopt::gpu::kWarpsPerBlock;
constexpr int64_t kTileRowsPerWarp = kTile / kWarpsPerBlock;
/// Both chips run at most 2048 threads (64 warps) per SM.
constexpr int64_t kMaxWarpsPerSm = 64;

// Estimates (docs/Design.md, "GPU cost model").
/// One kernel launch, from the host call to the kernel's start (3-5 us).
constexpr double kLaunchNs = 4000;
/// Latency of a load that misses L2 / hits it.
constexpr double kHbmLatencyNs = 600;
constexpr double kL2LatencyNs = 250;
/// Achieved fraction of peak HBM bandwidth when streaming.
constexpr double kHbmEfficiency = 0.85;
/// Independent loop iterations a warp keeps in flight (nvcc unrolls the
/// kernels' loops by 4), and what they load at batch 1: 4 coalesced
/// 128-byte rows of entries.
constexpr double kIlp = 4;
constexpr double kBytesInFlightPerWarp = kIlp * 128;
/// L1 throughput per SM and clock (gathers of x at batch 1).
constexpr double kL1BytesPerClk = 128;
/// Fraction of L2 that the model's weights may take and still stay
/// resident between calls.
constexpr double kL2Usable = 0.5;
/// Fractions of FP32 peak: cuBLAS sgemm on large layers; dense_tiled (its
/// inner loop issues 4 shared-memory loads per 4 FMAs: at most 1/4).
constexpr double kCublasFraction = 0.7;
constexpr double kDenseTiledFraction = 0.2;

static double ceilDiv(double a, double b) { return std::ceil(a / b); }

namespace {
/// Where loads are served from: bandwidth (bytes per ns = GB/s) and
/// latency.
struct Level {
  double bytesPerNs;
  double latencyNs;
};

/// The model with the chip's constants resolved.
struct Gpu {
  explicit Gpu(const GpuCostModel &model)
      : chipId(model.chip), chip(gpuChipSpec(model.chip)),
        hbm(hbmLevel(model)), l2{chip.l2GBs, kL2LatencyNs},
        weights(model.weightsInL2 ? l2 : hbm),
        l1BytesPerNs(double(chip.sms) * kL1BytesPerClk * chip.clockGHz),
        flopsPerNs(double(chip.sms * chip.fp32PerSm) * 2 * chip.clockGHz),
        maxWarps(double(chip.sms * kMaxWarpsPerSm)) {}

  /// HBM as the kernels reach it: a fraction of the peak (the option's,
  /// else the chip's).
  static Level hbmLevel(const GpuCostModel &model) {
    double peak =
        model.hbmGBs > 0 ? model.hbmGBs : gpuChipSpec(model.chip).hbmGBs;
    return {peak * kHbmEfficiency, kHbmLatencyNs};
  }

  /// ns to read a weight of `bytes` `reads` times in one call: the first
  /// time from where weights live, again from L2 if it fits in half of it.
  double weightReadsNs(double bytes, double reads) const {
    const Level &again = weightsFitInL2(bytes, chipId) ? l2 : weights;
    return bytes / weights.bytesPerNs + (reads - 1) * bytes / again.bytesPerNs;
  }

  GpuChip chipId;
  const GpuChipSpec &chip;
  Level hbm, l2;
  /// Where a call's first read of the weight comes from.
  Level weights;
  double l1BytesPerNs, flopsPerNs, maxWarps;
};

/// The kernels' "rows view" of a weight (Kernels.cuh): output row o's warp
/// walks length[o] stored entries.
struct Rows {
  std::vector<int64_t> length;
  double entries = 0;
  /// Row pointers: read once per row, not streamed per entry.
  double pointerBytes = 0;
  /// Weight loads in sequence before x's (csr, bsr: the row pointer, then
  /// the entries).
  double dependentLoads = 1;
  /// Batch 1: bytes of x the gather moves through L1 per entry (32-byte
  /// sectors: 4 when the columns are contiguous, up to 32 when scattered).
  double xBytesPerEntry = 4;
};

} // namespace

static Rows rowsOf(const PackedWeight &p) {
  Rows r;
  r.length.resize(p.rows);
  switch (p.format) {
  case Format::Dense:
    std::fill(r.length.begin(), r.length.end(), p.cols);
    break;
  case Format::CSR:
  case Format::BSR: {
    int64_t blockRows = p.format == Format::BSR ? p.blockRows : 1;
    int64_t blockCols = p.format == Format::BSR ? p.blockCols : 1;
    for (int64_t o = 0; o < p.rows; ++o)
      r.length[o] =
          (p.rowPtr[o / blockRows + 1] - p.rowPtr[o / blockRows]) * blockCols;
    r.pointerBytes = double(p.rowPtr.size()) * 4;
    r.dependentLoads = 2;
    break;
  }
  case Format::NM:
    std::fill(r.length.begin(), r.length.end(), p.cols / p.m * p.n);
    break;
  case Format::Bitmask:
  case Format::TiledCSR:
  case Format::WindowCSR:
    break; // no GPU kernels (gpuKernelCost does not get here)
  }
  for (int64_t len : r.length)
    r.entries += double(len);
  if (p.format != Format::Dense && r.entries > 0) {
    // Consecutive entries are cols / (entries per row) columns apart on
    // average; bsr's c columns of a block share sectors.
    double gap = double(p.cols) * double(p.rows) / r.entries;
    double scattered = p.format == Format::BSR
                           ? 32.0 * ceilDiv(p.blockCols, 8) / p.blockCols
                           : 32.0;
    r.xBytesPerEntry = std::clamp(4.0 * gap, 4.0, std::max(4.0, scattered));
  }
  return r;
}

/// Batch 1, warp_rows: one warp per output row. HBM is saturated only with
/// enough bytes in flight (Little's law: bandwidth x latency); a warp has
/// kBytesInFlightPerWarp in flight when its 32 lanes are all busy, so the
/// achieved bandwidth falls with fewer rows than warps needed and with rows
/// shorter than 32 entries (idle lanes). The longest row bounds the kernel
/// from below (its warp walks it alone).
static double warpRowsNs(const Rows &r, double bytes, const Gpu &g) {
  double rounds = 0, maxRounds = 0;
  for (int64_t len : r.length) {
    double k = ceilDiv(double(len), kWarp);
    rounds += k;
    maxRounds = std::max(maxRounds, k);
  }
  const Level &w = g.weights;
  double memory = r.pointerBytes / w.bytesPerNs;
  if (r.entries > 0) {
    double laneUse = r.entries / (kWarp * rounds);
    double warps = std::min(double(r.length.size()), g.maxWarps);
    double saturating = w.bytesPerNs * w.latencyNs / kBytesInFlightPerWarp;
    double achieved =
        w.bytesPerNs * std::min(1.0, warps * laneUse / saturating);
    memory += (bytes - r.pointerBytes) / achieved;
  }
  double gathers = r.entries * r.xBytesPerEntry / g.l1BytesPerNs;
  double latency = r.dependentLoads * w.latencyNs + kL2LatencyNs +
                   maxRounds * w.latencyNs / kIlp;
  return kLaunchNs + std::max({memory, gathers, latency});
}

/// Batch 1, cuBLAS sgemv: streams the weight at the achievable bandwidth.
static double gemvNs(double bytes, const Gpu &g) {
  const Level &w = g.weights;
  return kLaunchNs + std::max(bytes / w.bytesPerNs, w.latencyNs + kL2LatencyNs);
}

/// Batch > 1, dense: the faster of cuBLAS sgemm and dense_tiled (which
/// re-reads W per 32 batch columns, computes whole 32 x 32 tiles, and
/// waits on each 32-wide step of K: no double buffering).
static double denseBatchedNs(const PackedWeight &p, int64_t batch,
                             const Gpu &g) {
  double bytes = double(p.bytes());
  double activations = double(batch) * double(p.cols + p.rows) * 4;
  double flops = 2.0 * double(p.rows) * double(p.cols) * double(batch);
  const Level &w = g.weights;
  double sgemm =
      kLaunchNs +
      std::max({g.weightReadsNs(bytes, 1) + activations / g.l2.bytesPerNs,
                flops / (g.flopsPerNs * kCublasFraction),
                w.latencyNs + kL2LatencyNs});
  double rowTiles = ceilDiv(double(p.rows), kTile);
  double batchTiles = ceilDiv(double(batch), kTile);
  double blockSlots = g.maxWarps / kWarpsPerBlock;
  double waves = ceilDiv(rowTiles * batchTiles, blockSlots);
  double memory =
      g.weightReadsNs(bytes, batchTiles) + activations / g.l2.bytesPerNs;
  double compute = 2.0 * rowTiles * kTile * batchTiles * kTile *
                   double(p.cols) / (g.flopsPerNs * kDenseTiledFraction);
  double latency =
      waves * ceilDiv(double(p.cols), kTile) * (w.latencyNs + kL2LatencyNs);
  double tiled = kLaunchNs + std::max({memory, compute, latency});
  return std::min(sgemm, tiled);
}

/// Batch > 1, sparse: transpose_x, then tile_rows: one block per 32 rows x
/// 32 batch columns, each warp walks 4 rows' entries one by one, gathering
/// xT[k] (from L2) for its 32 batch columns. Few blocks mean few warps, and
/// each warp's walk is a chain of dependent loads: the kernel is bound by
/// latency unless the layer has many rows (or batch tiles), and by its
/// busiest warp.
static double sparseBatchedNs(const Rows &r, const PackedWeight &p,
                              int64_t batch, const Gpu &g) {
  double xBytes = double(batch) * double(p.cols) * 4;
  double transpose =
      kLaunchNs + std::max(2 * xBytes / g.l2.bytesPerNs, 2 * kL2LatencyNs);
  double rowTiles = ceilDiv(double(p.rows), kTile);
  double batchTiles = ceilDiv(double(batch), kTile);
  double maxWarpEntries = 0;
  for (int64_t t = 0; t < p.rows; t += kTile)
    for (int64_t warp = 0; warp < kWarpsPerBlock; ++warp) {
      double entries = 0;
      for (int64_t j = 0; j < kTileRowsPerWarp; ++j) {
        int64_t o = t + warp + j * kWarpsPerBlock;
        if (o < p.rows)
          entries += double(r.length[o]);
      }
      maxWarpEntries = std::max(maxWarpEntries, entries);
    }
  double warps = std::min(rowTiles * batchTiles * kWarpsPerBlock, g.maxWarps);
  double iterations = r.entries * batchTiles;
  const Level &w = g.weights;
  double latency =
      r.dependentLoads * w.latencyNs +
      std::max(iterations / warps, maxWarpEntries) * kL2LatencyNs / kIlp;
  // Per entry and batch tile, the warp's gather of its active lanes'
  // xT values (32-byte sectors).
  double xTBytes = 0;
  for (int64_t b0 = 0; b0 < batch; b0 += kTile)
    xTBytes += r.entries * 32 *
               ceilDiv(double(std::min<int64_t>(kTile, batch - b0)), 8);
  double memory =
      g.weightReadsNs(double(p.bytes()), batchTiles) +
      (xTBytes + double(batch) * double(p.rows) * 4) / g.l2.bytesPerNs;
  return transpose + kLaunchNs + std::max(memory, latency);
}

const GpuChipSpec &layout::gpuChipSpec(GpuChip chip) {
  // A100 SXM 80 GB and H100 SXM: NVIDIA's datasheets (HBM bandwidth, SMs,
  // boost clock, L2); L2 bandwidth is an estimate (docs/Design.md).
  static const GpuChipSpec sm80{"sm_80", 2039, 108, 64, 1.41, 40, 5000};
  static const GpuChipSpec sm90{"sm_90", 3350, 132, 128, 1.98, 50, 7000};
  return chip == GpuChip::Sm80 ? sm80 : sm90;
}

bool layout::weightsFitInL2(double bytes, GpuChip chip) {
  return bytes <= kL2Usable * gpuChipSpec(chip).l2MiB * 1024 * 1024;
}

bool layout::hasGpuKernel(Format format) {
  switch (format) {
  case Format::Dense:
  case Format::CSR:
  case Format::BSR:
  case Format::NM:
    return true;
  case Format::Bitmask:
  case Format::TiledCSR:
  case Format::WindowCSR:
    return false;
  }
  return false;
}

double layout::gpuKernelCost(const PackedWeight &p, int64_t batch,
                             const GpuCostModel &model) {
  if (!hasGpuKernel(p.format))
    return std::numeric_limits<double>::infinity();
  Gpu g(model);
  Rows r = rowsOf(p);
  bool dense = p.format == Format::Dense;
  if (batch <= 1) {
    double ns = warpRowsNs(r, double(p.bytes()), g);
    return dense ? std::min(ns, gemvNs(double(p.bytes()), g)) : ns;
  }
  return dense ? denseBatchedNs(p, batch, g) : sparseBatchedNs(r, p, batch, g);
}
