//===- FcBench.cpp - Fully connected layers: dense vs pruned vs OpenBLAS --===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// y = x W^T for W[out, in] and x[batch, in], measured side by side in one
// process: OpenBLAS sgemv / sgemm with its default kernels and with its
// SkylakeX kernels (a second copy of the library loaded with dlmopen, since
// OPENBLAS_CORETYPE is read once at load; the baseline is the better of the
// two), the layer compiled dense by prune-opt (nn-lower-cpu), and the layer
// pruned and compiled in every format (nn-prune + nn-sparsify{format=F} +
// nn-lower-cpu), each with 1 and 2 threads. Also measures this machine's read
// bandwidth (1 and 2 threads) and prints, per case, the bytes the kernel
// must read (values + indices + positions + activations) and the achieved
// fraction of the bandwidth bound. Weights are evicted from the caches
// before every timed call, and with one thread the calls of one shape and
// batch are interleaved: round r times every case once (OpenBLAS and every
// variant, in an order rotated per round), so a slow minute of a noisy
// machine lands on all of them, not on the cases that happened to run in it
// (with more threads each case runs its calls back to back: see
// timeCases). Variants are compiled and timed in groups of ~4 GiB, each
// with its own baseline calls.
// (A group's variants stay compiled meanwhile: ~600 MB per 4096x4096
// variant, 6 per group.)
//
// With --gpu, the same layers on an NVIDIA GPU instead (bench/GpuBench.cpp:
// libPruneOptGpu's kernels against cuBLAS and cuBLASLt in the same run;
// needs a build with CUDA, and says "no GPU: skipped" without a device).
//
// Usage: prune-bench [--shapes=1024x1024,4096x4096,4096x1024]
//                    [--batches=1,8,32] [--sparsities=0.5,0.7,0.8,0.9,0.95]
//                    [--formats=auto,csr,bitmask] [--structured=2:4,4x1,1x4]
//                    [--block-sparsities=0.8,0.9] [--num-threads=1,2]
//                    [--upstream] [--reps=11] [--markdown=FILE]
//                    [--plot=PREFIX] [--gpu [--gpu-no-flush]]
//
//===----------------------------------------------------------------------===//

#include "GpuBench.h"

#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Execution/Runner.h"
#include "prune-opt/Layout/Layout.h"
#include "prune-opt/InitAll.h"
#include "prune-opt/Runtime/Kernels.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>
#include <dlfcn.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <tuple>

using namespace mlir;
using namespace mlir::prune;
namespace cl = llvm::cl;

static cl::OptionCategory benchCategory("prune-bench options");
static cl::list<std::string> shapes("shapes", cl::cat(benchCategory),
                                    cl::desc("OUTxIN weight shapes"),
                                    cl::CommaSeparated);
static cl::list<int64_t> batches("batches", cl::cat(benchCategory),
                                 cl::desc("Batch sizes"), cl::CommaSeparated);
static cl::list<double> sparsities("sparsities", cl::cat(benchCategory),
                                   cl::desc("Unstructured sparsities"),
                                   cl::CommaSeparated);
static cl::list<std::string>
    formats("formats", cl::cat(benchCategory),
            cl::desc("nn-sparsify formats for unstructured sparsity "
                     "(auto, csr, csr-window (batch < 8), bitmask; "
                     "csr-rows: csr without the csr-tiled layout, batch "
                     ">= 8)"),
            cl::CommaSeparated);
static cl::list<std::string> valueTypes(
    "value-types", cl::cat(benchCategory),
    cl::desc("Value types of every variant (nn-sparsify{value-type}): f32, "
             "bf16, f16, i8 (default f32,i8)"),
    cl::CommaSeparated);
static cl::list<std::string>
    structured("structured", cl::cat(benchCategory),
               cl::desc("Structured patterns: N:M (nm format) and RxC "
                        "blocks (bsr format)"),
               cl::CommaSeparated);
static cl::list<double> blockSparsities("block-sparsities",
                                        cl::cat(benchCategory),
                                        cl::desc("Sparsities of the blocks"),
                                        cl::CommaSeparated);
static cl::list<int> threadCounts("num-threads", cl::cat(benchCategory),
                                  cl::desc("Thread counts"),
                                  cl::CommaSeparated);
static cl::opt<bool>
    upstream("upstream", cl::cat(benchCategory),
             cl::desc("Also run upstream's sparsifier CSR, scalar "
                      "(nn-lower-cpu{kernels=0 vl=0}), at 90 %"),
             cl::init(true));
static cl::list<std::string> upstreamOptions(
    "upstream-options", cl::cat(benchCategory),
    cl::desc("Extra upstream CSR 90 % variants with these nn-lower-cpu "
             "options, e.g. 'vl=16 reassociate-fp-reductions=1' (repeatable)"));
static cl::opt<int> reps("reps", cl::cat(benchCategory),
                         cl::desc("Timed calls per case"), cl::init(11));
static cl::opt<std::string> markdown("markdown", cl::cat(benchCategory),
                                     cl::desc("Also write the table here"),
                                     cl::init(""));
static cl::opt<bool>
    gpu("gpu", cl::cat(benchCategory),
        cl::desc("Measure the layers on the GPU instead: libPruneOptGpu's "
                 "kernels (dense, csr at --sparsities, --structured as nm "
                 "(2:4 also on the sparse tensor cores, f16 and bf16) or "
                 "bsr at --block-sparsities) against cuBLAS and cuBLASLt "
                 "f16 in the same run (needs a build with CUDA; skipped "
                 "without a GPU)"),
        cl::init(false));
static cl::opt<bool> gpuNoFlush(
    "gpu-no-flush", cl::cat(benchCategory),
    cl::desc("--gpu: do not overwrite the L2 cache before each timed call"),
    cl::init(false));
static cl::opt<std::string>
    plot("plot", cl::cat(benchCategory),
         cl::desc("Write PREFIX.tsv and, with gnuplot, PREFIX.png: speedup "
                  "over OpenBLAS vs sparsity (1 thread)"),
         cl::init(""));

using Clock = std::chrono::steady_clock;

/// Reads 512 MiB (twice the L3 of the dev VM) so that no weight is left in
/// any cache.
static void evictCaches() {
  static std::vector<float> junk(128 << 20, 1.0f);
  volatile float sink = 0;
  float acc = 0;
  for (size_t i = 0; i < junk.size(); i += 16)
    acc += junk[i];
  sink = acc;
  (void)sink;
}

struct Stats {
  double median = 0, min = 0, max = 0; // ms
};

/// Times every case `reps` times. Interleaved: each round runs them all
/// once, starting one case later than the round before. Otherwise each
/// case's calls run back to back (with several threads: OpenBLAS's threads
/// spin for a while after each call and took the cores from whatever ran
/// next, 2-30x slower 2-thread calls of every kind when interleaved).
static std::vector<Stats>
timeCases(const std::vector<std::function<void()>> &cases, bool interleave) {
  const size_t n = cases.size();
  std::vector<std::vector<double>> ms(n);
  for (const auto &f : cases)
    f(); // warm-up (code, page tables)
  for (size_t step = 0; step < size_t(reps) * n; ++step) {
    const size_t i = interleave ? step / n : step % size_t(reps),
                 k = interleave ? step % n : step / size_t(reps),
                 c = interleave ? (k + i) % n : k;
    evictCaches();
    // The kernels' worker threads slept during the eviction: wake them, as
    // in a steady inference loop (prune_kernels_warm_up).
    prune_kernels_warm_up();
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    auto t0 = Clock::now();
    cases[c]();
    auto t1 = Clock::now();
    ms[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::vector<Stats> stats;
  for (std::vector<double> &m : ms) {
    std::sort(m.begin(), m.end());
    stats.push_back({m[m.size() / 2], m.front(), m.back()});
  }
  return stats;
}

/// Sums [begin, end) of `a` reading 64 bytes per load with software
/// prefetch (what the kernels do; this VM's hardware prefetchers alone reach
/// a fraction of the bandwidth).
__attribute__((target("avx512f"))) static uint64_t
sumAvx512(const uint64_t *a, size_t begin, size_t end) {
  __m512i s0 = _mm512_setzero_si512(), s1 = s0;
  for (size_t i = begin; i + 16 <= end; i += 16) {
    _mm_prefetch(reinterpret_cast<const char *>(a + i + 512), _MM_HINT_T0);
    s0 = _mm512_add_epi64(s0, _mm512_loadu_si512(a + i));
    s1 = _mm512_add_epi64(s1, _mm512_loadu_si512(a + i + 8));
  }
  return _mm512_reduce_add_epi64(_mm512_add_epi64(s0, s1));
}

static uint64_t sumPortable(const uint64_t *a, size_t begin, size_t end) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = begin; i + 4 <= end; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

/// Read bandwidth in GB/s with `threads` threads: the best of 5 sweeps
/// summing a 1 GiB buffer, each thread its own contiguous part.
static double measureBandwidth(int threads) {
  size_t n = 128 << 20; // 1 GiB
  static std::vector<uint64_t> a = [&] {
    std::vector<uint64_t> v(n);
    for (size_t i = 0; i < n; ++i)
      v[i] = i;
    return v;
  }();
  bool avx512 = __builtin_cpu_supports("avx512f");
  double best = 1e30;
  std::vector<uint64_t> sums(threads);
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        size_t begin = n / threads * t, end = n / threads * (t + 1);
        sums[t] += avx512 ? sumAvx512(a.data(), begin, end)
                          : sumPortable(a.data(), begin, end);
      });
    for (auto &t : pool)
      t.join();
    auto t1 = Clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  volatile uint64_t sink = sums[0];
  (void)sink;
  return n * sizeof(uint64_t) / best / 1e9;
}

/// FMA loop of 12 independent 16-lane chains (enough to cover the FMA
/// latency on two ports): returns the last values so nothing is elided.
__attribute__((target("avx512f"))) static float fmaLoop(int64_t iterations) {
  __m512 acc[12];
  __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
  for (int u = 0; u < 12; ++u)
    acc[u] = _mm512_set1_ps(float(u));
  for (int64_t i = 0; i < iterations; ++i)
    for (int u = 0; u < 12; ++u)
      acc[u] = _mm512_fmadd_ps(acc[u], m, c);
  __m512 s = acc[0];
  for (int u = 1; u < 12; ++u)
    s = _mm512_add_ps(s, acc[u]);
  return _mm512_reduce_add_ps(s);
}

/// Peak f32 GFLOP/s with `threads` threads (AVX-512 FMAs from registers,
/// best of 5); 0 without AVX-512.
static double measurePeakFlops(int threads) {
  if (!__builtin_cpu_supports("avx512f"))
    return 0;
  const int64_t iterations = 20'000'000;
  double best = 1e30;
  std::vector<float> sinks(threads);
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { sinks[t] += fmaLoop(iterations); });
    for (auto &t : pool)
      t.join();
    best = std::min(best,
                    std::chrono::duration<double>(Clock::now() - t0).count());
  }
  volatile float sink = sinks[0];
  (void)sink;
  return threads * iterations * 12.0 * 16 * 2 / best / 1e9;
}

/// One copy of OpenBLAS: the linked one, or a second copy loaded into its
/// own namespace with OPENBLAS_CORETYPE set (the variable is read once, when
/// the library loads).
struct Blas {
  std::string name;
  void (*sgemv)(CBLAS_ORDER, CBLAS_TRANSPOSE, blasint, blasint, float,
                const float *, blasint, const float *, blasint, float, float *,
                blasint) = nullptr;
  void (*sgemm)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint,
                blasint, float, const float *, blasint, const float *, blasint,
                float, float *, blasint) = nullptr;
  void (*setThreads)(int) = nullptr;
  char *(*coreName)() = nullptr;
};

static std::vector<Blas> loadBlas() {
  std::vector<Blas> out;
  Blas linked;
  linked.sgemv = cblas_sgemv;
  linked.sgemm = cblas_sgemm;
  linked.setThreads = openblas_set_num_threads;
  linked.coreName = openblas_get_corename;
  linked.name = std::string("OpenBLAS ") + openblas_get_corename();
  out.push_back(linked);
  // OpenBLAS runs the SkylakeX kernels when told to, even on a CPU without
  // AVX-512 (where they die of SIGILL).
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f"))
    return out;
  ::setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  void *h = ::dlmopen(LM_ID_NEWLM, "libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  ::unsetenv("OPENBLAS_CORETYPE");
  if (!h)
    return out;
  Blas sk;
  sk.sgemv = reinterpret_cast<decltype(sk.sgemv)>(::dlsym(h, "cblas_sgemv"));
  sk.sgemm = reinterpret_cast<decltype(sk.sgemm)>(::dlsym(h, "cblas_sgemm"));
  sk.setThreads = reinterpret_cast<decltype(sk.setThreads)>(
      ::dlsym(h, "openblas_set_num_threads"));
  sk.coreName = reinterpret_cast<decltype(sk.coreName)>(
      ::dlsym(h, "openblas_get_corename"));
  if (!sk.sgemv || !sk.sgemm || !sk.setThreads || !sk.coreName)
    return out;
  sk.name = std::string("OpenBLAS ") + sk.coreName();
  if (sk.name != linked.name)
    out.push_back(sk);
  return out;
}

/// func @fc(%x: tensor<BxKxf32>) -> tensor<BxNxf32> with W[N, K] constant,
/// written the torch way (matmul of x with transpose(W)).
static OwningOpRef<ModuleOp> buildFc(MLIRContext &ctx, int64_t batch,
                                     int64_t out, int64_t in,
                                     const std::vector<double> &w) {
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto f32 = b.getF32Type();
  auto xType = RankedTensorType::get({batch, in}, f32);
  auto yType = RankedTensorType::get({batch, out}, f32);
  auto func =
      func::FuncOp::create(b, loc, "fc", b.getFunctionType({xType}, {yType}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToEnd(body);
  auto wType = RankedTensorType::get({out, in}, f32);
  Value weight = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(writeWeight(wType, w, "fc_weight")));
  Value emptyT =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{in, out}, f32);
  Value wt = linalg::TransposeOp::create(b, loc, weight, emptyT,
                                         ArrayRef<int64_t>{1, 0})
                 ->getResult(0);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value emptyY = tensor::EmptyOp::create(b, loc, yType.getShape(), f32);
  Value init = linalg::FillOp::create(b, loc, zero, emptyY).getResult(0);
  Value y = linalg::MatmulOp::create(b, loc, yType,
                                     ValueRange{func.getArgument(0), wt},
                                     ValueRange{init})
                ->getResult(0);
  func::ReturnOp::create(b, loc, y);
  return module;
}

/// Speedup over OpenBLAS vs sparsity, one panel per shape, one line per
/// batch size and unstructured format (1 thread), with gnuplot when present.
static void writePlot(const std::string &prefix,
                      const std::vector<std::string> &shapeList,
                      const std::vector<int64_t> &batchList,
                      const std::vector<std::string> &formatList) {
  auto gnuplot = llvm::sys::findProgramByName("gnuplot");
  if (!gnuplot) {
    llvm::errs() << "gnuplot not found: wrote " << prefix << ".tsv only\n";
    return;
  }
  std::string script = llvm::formatv(
      "set terminal pngcairo size {0},420 font ',9'\n"
      "set output '{1}.png'\nset datafile separator '\\t'\n"
      "set multiplot layout 1,{2}\nset key top left\n"
      "set xlabel 'sparsity'\nset ylabel 'speedup over OpenBLAS (1 thread)'\n"
      "set logscale y\nset grid\n",
      420 * shapeList.size(), prefix, shapeList.size());
  for (const std::string &shape : shapeList) {
    script += "set title '" + shape + "'\nplot ";
    bool first = true;
    for (int64_t b : batchList)
      for (const std::string &f : formatList) {
        if (!first)
          script += ", ";
        first = false;
        script += llvm::formatv(
            "'{0}.tsv' using (strcol(1) eq '{1}' && $2 == {2} && "
            "strstrt(strcol(4), '{3} ') == 1 ? $5 : NaN):6 with linespoints "
            "title 'batch {2} {3}'",
            prefix, shape, b, f);
      }
    script += ", 1 with lines dt 2 lc 'black' title 'OpenBLAS'\n";
  }
  script += "unset multiplot\n";
  llvm::SmallString<128> path;
  if (llvm::sys::fs::createTemporaryFile("prune-bench", "gp", path))
    return;
  {
    std::error_code ec;
    llvm::raw_fd_ostream f(path, ec);
    f << script;
  }
  llvm::StringRef args[] = {*gnuplot, path};
  if (llvm::sys::ExecuteAndWait(*gnuplot, args) == 0)
    llvm::errs() << "wrote " << prefix << ".png\n";
  llvm::sys::fs::remove(path);
}

/// Runs the pre-lowering part of `pipeline` and nn-lower-kernels on a clone
/// and returns the kernel the compiled layer calls and the bytes it reads
/// for the weight (for the upstream sparsifier: nn-sparsify's CSR).
static std::pair<std::string, int64_t>
kernelChoice(ModuleOp module, llvm::StringRef pipeline, int64_t denseBytes) {
  size_t at = pipeline.find(",nn-lower-cpu");
  bool upstream = pipeline.contains("kernels=0");
  std::string pre = pipeline.take_front(at).str();
  if (!upstream)
    pre += std::string(pre.empty() ? "" : ",") + "nn-lower-kernels";
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(module.getContext());
  if (failed(parsePassPipeline(pre, pm)) || failed(pm.run(*clone)))
    return {"?", 0};
  std::string format = "dense";
  int64_t bytes = denseBytes;
  clone->walk([&](Operation *op) {
    if (prune::LayoutAttr layout = prune::getLayout(op))
      if (layout.getBytes() > 0)
        bytes = layout.getBytes();
    if (auto k = op->getAttrOfType<StringAttr>("nn.kernel")) {
      format = k.getValue().str();
      if (auto b = op->getAttrOfType<IntegerAttr>("nn.kernel_bytes"))
        bytes = b.getInt();
    }
  });
  if (upstream) // upstream sparsifier: CSR with i32
    format = "upstream csr";
  return {format, bytes};
}

/// --markdown: writes `report` there (if asked); false after saying why it
/// could not.
static bool writeMarkdown(const std::string &report) {
  if (markdown.empty())
    return true;
  std::error_code ec;
  llvm::raw_fd_ostream file(markdown, ec);
  if (ec) {
    llvm::errs() << "cannot write " << markdown << ": " << ec.message() << "\n";
    return false;
  }
  file << report;
  return true;
}

/// The weight W[out][in] pruned by nn-prune{options} exactly as the CPU
/// variants prune it (the layer built by buildFc), for --gpu.
static std::vector<float> pruneForGpu(DialectRegistry &registry, int64_t out,
                                      int64_t in, const std::vector<double> &w,
                                      const std::string &options) {
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module = buildFc(ctx, 1, out, in, w);
  PassManager pm(&ctx);
  std::string pipeline = "nn-prune{" + options + "}";
  if (failed(parsePassPipeline(pipeline, pm)) || failed(pm.run(*module))) {
    llvm::errs() << "prune-bench --gpu: " << pipeline << " failed\n";
    return {};
  }
  std::vector<float> masked;
  module->walk([&](arith::ConstantOp c) {
    auto type = dyn_cast<RankedTensorType>(c.getType());
    if (!type || type.getShape() != ArrayRef<int64_t>{out, in})
      return;
    FailureOr<std::vector<double>> values =
        readWeight(cast<ElementsAttr>(c.getValue()), c);
    if (succeeded(values))
      masked.assign(values->begin(), values->end());
  });
  return masked;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  registerAllPruneOptPasses();
  cl::HideUnrelatedOptions(benchCategory);
  cl::ParseCommandLineOptions(argc, argv, "prune-bench: FC layers\n");
  std::vector<std::string> shapeList(shapes.begin(), shapes.end());
  std::vector<int64_t> batchList(batches.begin(), batches.end());
  std::vector<double> sparsityList(sparsities.begin(), sparsities.end());
  std::vector<std::string> formatList(formats.begin(), formats.end());
  std::vector<std::string> structList(structured.begin(), structured.end());
  std::vector<double> blockList(blockSparsities.begin(), blockSparsities.end());
  std::vector<int> threadList(threadCounts.begin(), threadCounts.end());
  std::vector<std::string> typeList(valueTypes.begin(), valueTypes.end());
  if (typeList.empty())
    typeList = {"f32", "i8"};
  SmallVector<prune::layout::ValueType> parsedTypes;
  std::string badType;
  if (!prune::layout::parseValueTypes(typeList, parsedTypes, badType)) {
    llvm::errs() << "prune-bench: unknown value type '" << badType
                 << "' (f32, bf16, f16, i8)\n";
    return 1;
  }
  if (shapeList.empty())
    shapeList = {"1024x1024", "4096x4096", "4096x1024"};
  if (batchList.empty())
    batchList = {1, 8, 32};
  if (sparsityList.empty())
    sparsityList = {0.5, 0.7, 0.8, 0.9, 0.95};
  if (formatList.empty())
    formatList = {"auto", "csr", "csr-window", "bitmask", "csr-rows"};
  if (structList.empty())
    structList = {"2:4", "4x1", "1x4"};
  if (blockList.empty())
    blockList = {0.8, 0.9};
  if (threadList.empty())
    threadList = {1, 2};

  DialectRegistry registry;
  registerAllUpstream(registry);
  registerPruneOptDialects(registry);
  if (gpu) {
    prunebench::GpuBenchOptions options;
    options.shapes = shapeList;
    options.batches = batchList;
    options.sparsities = sparsityList;
    options.structured = structList;
    options.blockSparsities = blockList;
    options.reps = reps;
    options.flushL2 = !gpuNoFlush;
    std::string report;
    int status = prunebench::runGpuBench(
        options,
        [&](int64_t out, int64_t in, const std::vector<double> &w,
            const std::string &prune) {
          return pruneForGpu(registry, out, in, w, prune);
        },
        report);
    if (status == 0 && !writeMarkdown(report))
      return 1;
    return status;
  }
  std::vector<Blas> blasList = loadBlas();

  std::map<int, double> bandwidth, peak;
  for (int t : threadList) {
    bandwidth[t] = measureBandwidth(t);
    peak[t] = measurePeakFlops(t);
  }
  // Everything printed also goes to `report` (for --markdown).
  std::string table, report;
  llvm::raw_string_ostream os(table);
  auto flush = [&] {
    llvm::outs() << table;
    llvm::outs().flush();
    report += table;
    table.clear();
  };
  os << "Read bandwidth (sum over 1 GiB): ";
  for (auto [t, bw] : bandwidth)
    os << llvm::formatv("{0:F1} GB/s with {1} thread(s); ", bw, t);
  os << "peak (AVX-512 FMAs from registers): ";
  for (auto [t, p] : peak)
    os << llvm::formatv("{0:F0} GFLOP/s with {1} thread(s); ", p, t);
  os << "OpenBLAS baselines: ";
  for (const Blas &b : blasList)
    os << b.name << "; ";
  os << llvm::formatv(
      "kernels: {0}.\n\n",
      prune_kernels_has_avx512()
          ? "AVX-512 (f32 values; every value type for dense, one-row "
            "csr and 4x1 bsr, csr-tiled, bitmask and 2:4), AVX2 (other 16- "
            "and 8-bit values)"
      : prune_kernels_has_avx2() ? "AVX2"
                                 : "portable C++");
  os << "| shape | batch | thr | variant | format | median ms | min | max | "
        "x OpenBLAS | x dense (ours) | MB read | % of BW bound | GFLOP/s | "
        "% of FLOP peak |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  flush();
  std::string tsv = "shape\tbatch\tthreads\tvariant\tsparsity\tspeedup\n";
  std::mt19937 gen(42);
  std::normal_distribution<float> normal;
  for (const std::string &shape : shapeList) {
    auto [o, i] = llvm::StringRef(shape).split('x');
    int64_t out = 0, in = 0;
    if (o.getAsInteger(10, out) || i.getAsInteger(10, in)) {
      llvm::errs() << "bad shape " << shape << "\n";
      return 1;
    }
    std::vector<double> w(out * in);
    std::vector<float> wf(out * in);
    for (size_t k = 0; k < w.size(); ++k)
      wf[k] = w[k] = normal(gen);
    for (int64_t batch : batchList) {
      HostTensor x(ElementKind::F32, {batch, in});
      for (int64_t k = 0; k < x.numElements(); ++k)
        x.set(k, normal(gen));
      std::vector<float> y(batch * out);
      const float *xp = static_cast<const float *>(x.data());
      double flops = 2.0 * batch * out * in;
      double actBytes = 4.0 * batch * (in + out);

      // Baselines per thread count: the better OpenBLAS.
      std::map<int, Stats> blas;
      std::map<int, std::string> blasName;
      std::map<int, double> denseMs;
      // `stored`: weights the kernel multiplies (nonzeros; all for dense).
      auto row = [&](llvm::StringRef variant, llvm::StringRef format, int t,
                     const Stats &st, double bytes, double stored) {
        double bound = bytes / (bandwidth[t] * 1e9) * 1e3; // ms
        // Executed FLOPs against the measured peak, for batched cases
        // (batch 1 is memory bound: see "% of BW bound").
        double executed = 2.0 * batch * stored / (st.median * 1e-3) / 1e9;
        std::string flopFraction =
            batch > 1 && peak[t] > 0
                ? llvm::formatv("{0:F0}%", 100.0 * executed / peak[t]).str()
                : std::string("-");
        os << llvm::formatv(
            "| {0} | {1} | {2} | {3} | {4} | {5:F3} | {6:F3} | {7:F3} | "
            "{8:F2} | {9} | {10:F1} | {11:F0}% | {12:F1} | {13} |\n",
            shape, batch, t, variant, format, st.median, st.min, st.max,
            blas[t].median / st.median,
            denseMs.count(t)
                ? llvm::formatv("{0:F2}", denseMs[t] / st.median).str()
                : std::string("-"),
            bytes / 1e6, 100.0 * bound / st.median,
            flops / (st.median * 1e-3) / 1e9, flopFraction);
        flush();
      };
      struct Variant {
        std::string name, pipeline;
        double sparsity;
      };
      std::vector<Variant> variants = {{"dense (ours)", "", 0.0}};
      // csr-rows differs from csr only where csr-tiled applies, and
      // csr-window only where it does not (it is csr-tiled there).
      const bool batchedCsr = prune::layout::usesBatchedLayout(
          pruneopt::kernels::Format::CSR, batch,
          prune::layout::kDefaultTiledFromBatch);
      for (double sp : sparsityList)
        for (const std::string &f : formatList)
          if (!(f == "csr-rows" && !batchedCsr) &&
              !(f == "csr-window" && batchedCsr))
            variants.push_back(
                {llvm::formatv("{0} {1:P0}", f, sp).str(),
                 // csr-rows: csr without the csr-tiled layout (comparison).
                 f == "csr-rows"
                     ? llvm::formatv("nn-prune{{sparsity={0}},nn-sparsify{{"
                                     "format=csr csr-tiled-batch=0}",
                                     sp)
                           .str()
                     : llvm::formatv(
                           "nn-prune{{sparsity={0}},nn-sparsify{{format={1}}",
                           sp, f)
                           .str(),
                 sp});
      if (upstream)
        variants.push_back({"upstream CSR 90%",
                            "nn-prune{sparsity=0.9},nn-sparsify{format=csr},"
                            "nn-lower-cpu{kernels=0 vl=0}",
                            0.9});
      for (const std::string &opts : upstreamOptions)
        variants.push_back({"upstream CSR 90% " + opts,
                            "nn-prune{sparsity=0.9},nn-sparsify{format=csr},"
                            "nn-lower-cpu{kernels=0 " +
                                opts + "}",
                            0.9});
      for (const std::string &pat : structList) {
        if (pat.empty())
          continue;
        auto [n, m] = llvm::StringRef(pat).split(':');
        if (!m.empty()) {
          int64_t nn = 0, mm = 0;
          if (n.getAsInteger(10, nn) || m.getAsInteger(10, mm) || !mm)
            continue;
          variants.push_back({pat,
                              llvm::formatv("nn-prune{{pattern=nm n={0} m={1}},"
                                            "nn-sparsify{{format=nm}",
                                            nn, mm)
                                  .str(),
                              1.0 - double(nn) / mm});
          continue;
        }
        for (double sp : blockList)
          variants.push_back(
              {llvm::formatv("{0} {1:P0}", pat, sp).str(),
               llvm::formatv("nn-prune{{pattern=block block={0} "
                             "sparsity={1}},nn-sparsify{{format=bsr}",
                             pat, sp)
                   .str(),
               sp});
      }
      // Every variant with each narrower value type (the upstream sparsifier
      // has f32 values only).
      std::vector<Variant> typed;
      for (const std::string &type : typeList)
        for (const Variant &v : variants) {
          if (type == "f32") {
            typed.push_back(v);
            continue;
          }
          if (llvm::StringRef(v.pipeline).contains("kernels=0"))
            continue;
          Variant t = v;
          t.name += " " + type;
          t.pipeline =
              v.pipeline.empty()
                  ? "nn-prune{sparsity=0},nn-sparsify{format=dense "
                    "value-type=" +
                        type + "}"
                  : llvm::StringRef(v.pipeline)
                        .str()
                        .replace(v.pipeline.find("nn-sparsify{"), 12,
                                 "nn-sparsify{value-type=" + type + " ");
          typed.push_back(t);
        }
      // Variants in groups that fit ~4 GiB (~10x the f32 weight's bytes
      // each: a context per variant, whose resource blobs live as long as
      // it, and the JIT'd code), each group compiled, then timed with the
      // baselines; a variant's "x OpenBLAS" is against the baseline timed
      // with its group (the BLAS row printed is the first group's).
      const size_t group = std::max<size_t>(
          1, size_t((4ull << 30) / (40.0 * double(out) * double(in))));
      std::vector<HostTensor> args = {x};
      for (size_t g0 = 0; g0 < typed.size(); g0 += group) {
        const size_t g1 = std::min(typed.size(), g0 + group);
        struct Compiled {
          std::unique_ptr<MLIRContext> ctx;
          OwningOpRef<ModuleOp> module;
          std::unique_ptr<CompiledModel> model;
          std::string format;
          double bytes;
        };
        std::vector<Compiled> compiledList;
        for (size_t k = g0; k < g1; ++k) {
          const Variant &v = typed[k];
          Compiled c;
          c.ctx = std::make_unique<MLIRContext>(registry);
          c.ctx->loadAllAvailableDialects();
          c.module = buildFc(*c.ctx, batch, out, in, w);
          auto compiled = CompiledModel::compile(*c.module, "fc", v.pipeline,
                                                 CompileMode::JIT);
          if (!compiled) {
            llvm::errs() << v.name << ": "
                         << llvm::toString(compiled.takeError()) << "\n";
            return 1;
          }
          c.model = std::move(*compiled);
          std::tie(c.format, c.bytes) =
              kernelChoice(*c.module, v.pipeline, 4 * out * in);
          compiledList.push_back(std::move(c));
        }
        // Each timed call is what an application's call of the compiled
        // function is, as in prune-run --bench: descriptors built once,
        // results freed, not copied into new tensors (CompiledModel::run's
        // copy of a 32x4096 result is not the kernel's time).
        std::vector<CompiledModel::Call> calls;
        for (Compiled &c : compiledList) {
          auto call = c.model->prepare(args);
          if (!call) {
            llvm::errs() << llvm::toString(call.takeError()) << "\n";
            return 1;
          }
          calls.push_back(std::move(*call));
        }
        for (int t : threadList) {
          prune_kernels_set_num_threads(t);
          std::vector<std::function<void()>> cases;
          for (const Blas &b : blasList) {
            b.setThreads(t);
            cases.push_back([&, bp = &b] {
              if (batch == 1)
                bp->sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, wf.data(),
                          in, xp, 1, 0.0f, y.data(), 1);
              else
                bp->sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, out,
                          in, 1.0f, xp, in, wf.data(), in, 0.0f, y.data(), out);
            });
          }
          for (CompiledModel::Call &call : calls)
            cases.push_back([&call] {
              if (llvm::Error err = call.invoke())
                llvm::report_fatal_error(std::move(err));
            });
          std::vector<Stats> stats = timeCases(cases, /*interleave=*/t == 1);
          blas.erase(t);
          for (size_t k = 0; k < blasList.size(); ++k)
            if (!blas.count(t) || stats[k].median < blas[t].median) {
              blas[t] = stats[k];
              blasName[t] = blasList[k].name;
            }
          if (g0 == 0)
            row(blasName[t], "dense", t, blas[t], 4.0 * out * in + actBytes,
                double(out * in));
          for (size_t k = g0; k < g1; ++k) {
            const Variant &v = typed[k];
            const Compiled &c = compiledList[k - g0];
            const Stats &st = stats[blasList.size() + k - g0];
            if (v.pipeline.empty())
              denseMs[t] = st.median;
            row(v.name, c.format, t, st, c.bytes + actBytes,
                std::round((1.0 - v.sparsity) * out * in));
            if (t == 1 && !v.pipeline.empty())
              tsv += llvm::formatv("{0}\t{1}\t{2}\t{3}\t{4}\t{5:F3}\n", shape,
                                   batch, t, v.name, v.sparsity,
                                   blas[t].median / st.median)
                         .str();
          }
        }
      }
    }
  }
  prune_kernels_set_num_threads(1);
  if (!writeMarkdown(report))
    return 1;
  if (!plot.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream file(plot + ".tsv", ec);
    if (ec) {
      llvm::errs() << "cannot write " << plot << ".tsv\n";
      return 1;
    }
    file << tsv;
    file.close();
    writePlot(plot, shapeList, batchList, formatList);
  }
  return 0;
}
