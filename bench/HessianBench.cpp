//===- HessianBench.cpp - The Hessian criteria at LLM sizes ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Times, for layers W[rows = outputs, cols = inputs] and a synthetic
// calibration Hessian H = X^T X: sparseGPT (unstructured at each sparsity,
// and 2:4), lsqRefit on the mask sparseGPT chose, and the accumulation of
// H itself (GramAccumulator: what nn-calibrate does per captured block),
// each with every thread count asked. Prints markdown tables, best of
// --reps runs: the times (and with --loss the layer losses), the refit's
// phases in its fastest run (LsqRefitStats: direct solves, the pruned
// side's inverse of H, the kept side's low-rank model, the CG rows' set-up,
// CG's steps, with the model's rank, the CG rows on the pruned side, the
// most steps any row took and whether the pruned side's steps after the
// first ran in bf16), the Gram accumulation.
//
// X (--samples x cols) has correlated columns of varied scale: X = (Z + Y M)
// D with Z, Y, M normal (Y M of rank 256: a common low-rank part, as in
// transformer activations), D a log-normal per-column scale with a few
// outlier columns 20x larger. Accumulating H from X is the measured Gram
// accumulation (in blocks of --block-rows rows).
//
// The Gram rate counts 2 * rows * cols^2 flops per block (the convention of
// "8.8 TFLOP for 128 x 2048 tokens into a 4096-input layer"; a SYRK computes
// one triangle, half of that) against this core's f32 peak, measured with
// an FMA loop of the widest vectors it has (AVX-512 or AVX2), printed also
// as vector FMAs per ns (2 per cycle on cores with two full-width FMA
// pipes; 1 for 512-bit vectors on a Zen 4, which splits each in two).
//
// Usage: prune-hessian-bench [--shapes=4096x4096,11008x4096]
//          [--sparsities=0.9,0.5] [--nm=2:4] [--num-threads=1,2] [--reps=3]
//          [--samples=8192] [--block-rows=2048] [--precision=auto|f32|f64]
//          [--no-lsq] [--lsq-damp=0.01] [--lsq-tolerance=1e-4]
//          [--lsq-rank=-1] [--lsq-pruned-side=-1] [--lsq-bf16=-1] [--loss]
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Criteria/DataAware.h"
#include "prune-opt/Criteria/Gram.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>
#include <dlfcn.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>

using namespace mlir::prune;
namespace cl = llvm::cl;

static cl::OptionCategory benchCategory("prune-hessian-bench options");
static cl::list<std::string> shapes("shapes", cl::cat(benchCategory),
                                    cl::desc("ROWSxCOLS layer shapes"),
                                    cl::CommaSeparated);
static cl::list<double> sparsities("sparsities", cl::cat(benchCategory),
                                   cl::desc("Unstructured sparsities"),
                                   cl::CommaSeparated);
static cl::list<std::string> nmPatterns("nm", cl::cat(benchCategory),
                                        cl::desc("N:M patterns (none: '')"),
                                        cl::CommaSeparated);
static cl::list<unsigned> threadCounts("num-threads", cl::cat(benchCategory),
                                       cl::desc("Thread counts"),
                                       cl::CommaSeparated);
static cl::opt<int> reps("reps", cl::cat(benchCategory), cl::init(3),
                         cl::desc("Runs per case (best is reported)"));
static cl::opt<int64_t> samples("samples", cl::cat(benchCategory),
                                cl::init(8192),
                                cl::desc("Calibration rows of X"));
static cl::opt<int64_t> blockRows("block-rows", cl::cat(benchCategory),
                                  cl::init(2048),
                                  cl::desc("Rows of X per accumulated block"));
static cl::opt<std::string> precision("precision", cl::cat(benchCategory),
                                      cl::init("auto"),
                                      cl::desc("auto, f32 or f64"));
static cl::opt<bool> noLsq("no-lsq", cl::cat(benchCategory),
                           cl::desc("Skip lsqRefit"));
static cl::opt<double> lsqDamp(
    "lsq-damp", cl::cat(benchCategory), cl::init(0.01),
    cl::desc("lsqRefit's dampening (default nn-prune's damp, 0.01, what "
             "refit=lsq runs with; 1e-6: the least-squares problem itself)"));
static cl::opt<double>
    lsqTolerance("lsq-tolerance", cl::cat(benchCategory),
                 cl::init(LsqRefitOptions().tolerance),
                 cl::desc("lsqRefit's conjugate-gradient tolerance"));
static cl::opt<int64_t>
    lsqRank("lsq-rank", cl::cat(benchCategory),
            cl::init(LsqRefitOptions().preconditionRank),
            cl::desc("lsqRefit's CG preconditioner: 0 Jacobi, r > 0 a rank-r "
                     "Nystrom model, -1 its own choice"));
static cl::opt<int> lsqPrunedSide(
    "lsq-pruned-side", cl::cat(benchCategory),
    cl::init(LsqRefitOptions().prunedSide),
    cl::desc("lsqRefit's rows solved on the pruned side: -1 its own choice, "
             "0 none, 1 all iterative rows"));
static cl::opt<int> lsqBf16(
    "lsq-bf16", cl::cat(benchCategory), cl::init(LsqRefitOptions().bf16Steps),
    cl::desc("lsqRefit's pruned-side steps after the first in bf16 (where "
             "the CPU has AVX512-BF16): -1 unless its pilot misses, 0 never, "
             "1 always"));
static cl::opt<bool> withLoss(
    "loss", cl::cat(benchCategory),
    cl::desc("Also print the layer loss ||X (W - W')^T||^2 / ||X W^T||^2 of "
             "sparseGPT and of the refit"));

static double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// This core's f32 FMA throughput (flop/s) with VEC-wide vectors of LANES
/// floats: 12 independent chains of FMAs (two pipes of 4-cycle latency need
/// 8 in flight), the best of 5 runs.
#define PRUNE_FMA_PEAK(NAME, TARGET, VEC, LANES, SET1, FMADD)                  \
  __attribute__((target(TARGET))) static double NAME() {                       \
    const VEC a = SET1(0.999999f), b = SET1(1e-7f);                            \
    VEC c[12];                                                                 \
    for (VEC & v : c)                                                          \
      v = b;                                                                   \
    double best = 0;                                                           \
    for (int rep = 0; rep < 5; ++rep) {                                        \
      const int64_t iters = 20'000'000;                                        \
      double t0 = now();                                                       \
      for (int64_t k = 0; k < iters; ++k) {                                    \
        for (VEC & v : c)                                                      \
          v = FMADD(v, a, b);                                                  \
        asm volatile("" ::: "memory"); /* one trip per iteration */            \
      }                                                                        \
      best = std::max(best, double(iters) * 12 * LANES * 2 / (now() - t0));    \
    }                                                                          \
    volatile float sink = 0;                                                   \
    for (VEC & v : c)                                                          \
      sink = sink + v[0];                                                      \
    return best;                                                               \
  }
PRUNE_FMA_PEAK(fmaPeakAvx2, "avx2,fma", __m256, 8, _mm256_set1_ps,
               _mm256_fmadd_ps)
PRUNE_FMA_PEAK(fmaPeakAvx512, "avx512f", __m512, 16, _mm512_set1_ps,
               _mm512_fmadd_ps)
#undef PRUNE_FMA_PEAK

/// The widest FMA loop this CPU runs: {flop/s, lanes}.
static std::pair<double, int> fmaPeak() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {fmaPeakAvx512(), 16};
  return {fmaPeakAvx2(), 8};
}

/// The bench's own GEMMs (the activations, the loss) from the copy of
/// OpenBLAS the criteria loaded (it picks its kernels when it loads: see
/// lib/Criteria/Dense.cpp), not a linked one that would load first.
static decltype(&cblas_sgemm) sgemm;
static decltype(&cblas_dgemm) dgemm;
static bool loadGemms() {
  (void)denseKernelsName(); // loads OpenBLAS when the criteria use it
  void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
  if (!h)
    h = dlopen("libopenblas.so.0", RTLD_NOW);
  if (!h)
    return false;
  sgemm = reinterpret_cast<decltype(sgemm)>(dlsym(h, "cblas_sgemm"));
  dgemm = reinterpret_cast<decltype(dgemm)>(dlsym(h, "cblas_dgemm"));
  return sgemm && dgemm;
}

namespace {
struct Shape {
  int64_t rows, cols;
};

/// X (n x cols, row-major, f32) with correlated columns of varied scale.
std::vector<float> makeActivations(int64_t n, int64_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  const int64_t rank = std::min<int64_t>(256, cols);
  std::vector<float> X(n * cols), Y(n * rank), M(rank * cols), D(cols);
  for (float &v : X)
    v = normal(gen);
  for (float &v : Y)
    v = normal(gen);
  for (float &v : M)
    v = 0.5f * normal(gen);
  for (float &v : D)
    v = std::exp(0.5f * normal(gen));
  for (int i = 0; i < 8; ++i)
    D[gen() % cols] *= 20.0f;
  sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(cols),
              int(rank), 1.0f, Y.data(), int(rank), M.data(), int(cols), 1.0f,
              X.data(), int(cols));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < cols; ++c)
      X[i * cols + c] *= D[c];
  return X;
}

/// tr(D H D^T) for D = A - B (rows x cols).
double layerLoss(const Matrix &a, const Matrix *b,
                 const std::vector<double> &gram) {
  const int64_t rows = a.rows, cols = a.cols;
  std::vector<double> D(a.data);
  if (b)
    for (size_t i = 0; i < D.size(); ++i)
      D[i] -= b->data[i];
  std::vector<double> DH(rows * cols);
  dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), int(cols),
              int(cols), 1.0, D.data(), int(cols), gram.data(), int(cols), 0.0,
              DH.data(), int(cols));
  double s = 0;
  for (size_t i = 0; i < D.size(); ++i)
    s += D[i] * DH[i];
  return s;
}
} // namespace

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(benchCategory);
  cl::ParseCommandLineOptions(argc, argv, "prune-opt Hessian criteria bench\n");
  std::vector<Shape> shapeList;
  for (const std::string &s : shapes.empty()
                                  ? std::vector<std::string>{"4096x4096",
                                                             "11008x4096"}
                                  : std::vector<std::string>(shapes.begin(),
                                                             shapes.end())) {
    Shape sh{};
    if (sscanf(s.c_str(), "%ldx%ld", &sh.rows, &sh.cols) != 2) {
      llvm::errs() << "bad shape '" << s << "'\n";
      return 1;
    }
    shapeList.push_back(sh);
  }
  std::vector<double> sps(sparsities.begin(), sparsities.end());
  if (sparsities.empty())
    sps = {0.9, 0.5};
  std::vector<std::pair<unsigned, unsigned>> nms;
  for (const std::string &s :
       nmPatterns.empty() && nmPatterns.getNumOccurrences() == 0
           ? std::vector<std::string>{"2:4"}
           : std::vector<std::string>(nmPatterns.begin(), nmPatterns.end())) {
    unsigned n = 0, m = 0;
    if (!s.empty() && sscanf(s.c_str(), "%u:%u", &n, &m) == 2)
      nms.push_back({n, m});
  }
  std::vector<unsigned> threads(threadCounts.begin(), threadCounts.end());
  if (threads.empty())
    threads = {1, 2};
  DensePrecision prec = precision == "f32"   ? DensePrecision::F32
                        : precision == "f64" ? DensePrecision::F64
                                             : DensePrecision::Auto;

  if (!loadGemms()) {
    llvm::errs() << "cannot load libopenblas.so.0\n";
    return 1;
  }
  const auto [peak, lanes] = fmaPeak();
  llvm::outs() << "Dense kernels of the criteria: " << denseKernelsName()
               << "\n";
  llvm::outs() << llvm::formatv(
      "f32 peak of one core ({0} FMA loop): {1:F1} GFLOP/s (= {2:F2} "
      "{3}-lane FMAs per ns)\n\n",
      lanes == 16 ? "AVX-512" : "AVX2", peak / 1e9, peak / (2.0 * lanes) / 1e9,
      lanes);
  llvm::outs() << "| shape | pattern | threads | sparsegpt s | lsq s | lsq / "
                  "sparsegpt |"
               << (withLoss ? " loss sparsegpt | loss lsq |" : "") << "\n"
               << "|---|---|---|---|---|---|"
               << (withLoss ? "---|---|" : "") << "\n";
  std::string gramRows, lsqRows;
  std::map<int64_t, std::vector<double>> grams;
  for (const Shape &sh : shapeList) {
    if (!grams.count(sh.cols)) {
      std::vector<float> X = makeActivations(samples, sh.cols, 7);
      for (unsigned t : threads) {
        double best = 1e30;
        std::vector<double> h;
        for (int rep = 0; rep < reps; ++rep) {
          GramAccumulator acc(sh.cols, t);
          double t0 = now();
          for (int64_t r = 0; r < samples; r += blockRows)
            acc.add(&X[r * sh.cols], std::min(blockRows.getValue(), samples - r));
          h = acc.gram();
          best = std::min(best, now() - t0);
        }
        double flops = 2.0 * double(samples) * double(sh.cols) * sh.cols;
        gramRows += llvm::formatv(
            "| {0} | {1} x {2} | {3} | {4:F3} | {5:F1} | {6:F0} % |\n",
            sh.cols, samples.getValue(), blockRows.getValue(), t, best,
            flops / best / 1e9, 100.0 * flops / best / (peak * t));
        grams[sh.cols] = std::move(h);
      }
    }
    const std::vector<double> &gram = grams[sh.cols];
    std::mt19937 gen(11);
    std::normal_distribution<double> normal;
    Matrix w{sh.rows, sh.cols, std::vector<double>(sh.rows * sh.cols)};
    for (double &v : w.data)
      v = normal(gen);
    double base = withLoss ? layerLoss(w, nullptr, gram) : 1.0;

    struct Case {
      std::string name;
      SparseGPTOptions opts;
    };
    std::vector<Case> cases;
    for (double s : sps) {
      Case c{llvm::formatv("{0:P0}", s).str(), {}};
      c.opts.sparsity = s;
      cases.push_back(c);
    }
    for (auto [n, m] : nms) {
      Case c{llvm::formatv("{0}:{1}", n, m).str(), {}};
      c.opts.nmN = n;
      c.opts.nmM = m;
      cases.push_back(c);
    }
    for (Case &c : cases)
      for (unsigned t : threads) {
        c.opts.threads = t;
        c.opts.precision = prec;
        double bestG = 1e30, bestL = 1e30;
        Matrix pruned, refit;
        LsqRefitStats ls, bestStats;
        for (int rep = 0; rep < reps; ++rep) {
          double t0 = now();
          pruned = sparseGPT(w, gram, c.opts);
          bestG = std::min(bestG, now() - t0);
        }
        if (!noLsq) {
          std::vector<uint8_t> keep(pruned.data.size());
          for (size_t i = 0; i < keep.size(); ++i)
            keep[i] = pruned.data[i] != 0.0;
          // Dampening: nn-prune's (0.01 of the mean diagonal, as
          // sparseGPT's) unless --lsq-damp says otherwise.
          LsqRefitOptions lo;
          lo.damp = lsqDamp;
          lo.tolerance = lsqTolerance;
          lo.preconditionRank = lsqRank;
          lo.prunedSide = lsqPrunedSide;
          lo.bf16Steps = lsqBf16;
          lo.threads = t;
          lo.precision = prec;
          for (int rep = 0; rep < reps; ++rep) {
            double t0 = now();
            refit = lsqRefit(w, keep, gram, lo, &ls);
            if (now() - t0 < bestL) {
              bestL = now() - t0;
              bestStats = ls;
            }
          }
        }
        llvm::outs() << llvm::formatv("| {0}x{1} | {2} | {3} | {4:F2} |", sh.rows,
                                      sh.cols, c.name, t, bestG);
        if (noLsq)
          llvm::outs() << " - | - |";
        else
          llvm::outs() << llvm::formatv(" {0:F2} | {1:F2} |", bestL,
                                        bestL / bestG);
        if (withLoss)
          llvm::outs() << llvm::formatv(
              " {0:E3} | {1} |", layerLoss(w, &pruned, gram) / base,
              noLsq ? std::string("-")
                    : llvm::formatv("{0:E3}", layerLoss(w, &refit, gram) / base)
                          .str());
        llvm::outs() << "\n";
        llvm::outs().flush();
        if (!noLsq)
          lsqRows += llvm::formatv(
              "| {0}x{1} | {2} | {3} | {4:F2} | {5:F2} | {6:F2} | {7:F2} | "
              "{8:F2} | {9} | {10} / {11} | {12} | {13} |\n",
              sh.rows, sh.cols, c.name, t, bestStats.directSeconds,
              bestStats.inverseSeconds, bestStats.sketchSeconds,
              bestStats.setupSeconds, bestStats.stepSeconds,
              bestStats.preconditionRank, bestStats.prunedSideRows,
              bestStats.iterativeRows, bestStats.maxIterations,
              bestStats.bf16Steps ? "bf16" : "f32");
      }
  }
  if (!lsqRows.empty())
    llvm::outs() << "\nThe refit's phases (its fastest repetition): direct "
                    "solves, the pruned side's inverse of H, the kept "
                    "side's low-rank model of H, the rows' set-up (kept "
                    "side: Woodbury factors), CG's steps; the model's rank, "
                    "the CG rows on the pruned side of all CG rows; the "
                    "pruned side's steps after the first in bf16 or f32:\n\n"
                 << "| shape | pattern | threads | direct s | inverse s | "
                    "model s | set-up s | steps s | rank | pruned-side rows "
                    "| most steps | later steps |\n"
                 << "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
                 << lsqRows;
  llvm::outs() << "\nGram accumulation (GramAccumulator, f32 SYRK per block, "
                  "double totals):\n\n"
               << "| cols | rows x block | threads | seconds | GFLOP/s (2 "
                  "rows cols^2) | of peak x threads |\n"
               << "|---|---|---|---|---|---|\n"
               << gramRows;
  return 0;
}
