//===- FcBench.cpp - Fully connected layers: dense vs pruned vs OpenBLAS --===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// y = x W^T for W[out, in] and x[batch, in], measured side by side in one
// run: OpenBLAS (sgemv / sgemm, 1 thread), the layer compiled dense by
// prune-opt's nn-lower-cpu, and the layer pruned to each sparsity and
// compiled sparse (CSR, assembled at compile time). Also measures this
// machine's read bandwidth (STREAM-triad-like) and prints, per case, the
// bytes the kernel must move and the achieved fraction of the bandwidth
// bound. Weights are evicted from the caches before every timed call.
//
// Usage: prune-bench [--shapes=1024x1024,4096x4096,4096x1024]
//                    [--batches=1,8,32] [--sparsities=0.5,0.7,0.8,0.9,0.95]
//                    [--reps=15] [--markdown=FILE]
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/Runner.h"
#include "prune-opt/InitAll.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <random>

using namespace mlir;
using namespace mlir::prune;
namespace cl = llvm::cl;

static cl::list<std::string> shapes("shapes", cl::desc("OUTxIN weight shapes"),
                                    cl::CommaSeparated);
static cl::list<int64_t> batches("batches", cl::desc("Batch sizes"),
                                 cl::CommaSeparated);
static cl::list<double> sparsities("sparsities", cl::desc("Sparsities"),
                                   cl::CommaSeparated);
static cl::opt<int> reps("reps", cl::desc("Timed calls per case"),
                         cl::init(15));
static cl::opt<int> vectorLength("vl",
                                  cl::desc("nn-lower-cpu vector length for "
                                           "the sparse kernels"),
                                  cl::init(0));
static cl::opt<std::string> markdown("markdown",
                                     cl::desc("Also write the table here"),
                                     cl::init(""));

using Clock = std::chrono::steady_clock;

/// Reads 256 MiB so that no weight is left in any cache.
static void evictCaches() {
  static std::vector<float> junk(64 << 20, 1.0f);
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

template <typename F> static Stats timeIt(F &&f) {
  std::vector<double> ms;
  f(); // warm-up (code, page tables)
  for (int i = 0; i < reps; ++i) {
    evictCaches();
    auto t0 = Clock::now();
    f();
    auto t1 = Clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back()};
}

/// Read bandwidth in GB/s: the best of 5 sweeps summing a 512 MiB buffer
/// as integers (integer sums vectorize without reassociation flags).
static double measureBandwidth() {
  size_t n = 64 << 20; // 64 Mi x 8 bytes
  std::vector<uint64_t> a(n);
  for (size_t i = 0; i < n; ++i)
    a[i] = i;
  double best = 1e30;
  uint64_t total = 0;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < n; i += 4) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
    }
    auto t1 = Clock::now();
    total += s0 + s1 + s2 + s3;
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  volatile uint64_t sink = total;
  (void)sink;
  return n * sizeof(uint64_t) / best / 1e9;
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
  auto func = func::FuncOp::create(b, loc, "fc",
                                   b.getFunctionType({xType}, {yType}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToEnd(body);
  auto wType = RankedTensorType::get({out, in}, f32);
  Value weight = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(writeWeight(wType, w, "fc_weight")));
  Value emptyT = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{in, out}, f32);
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

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  registerAllPruneOptPasses();
  cl::ParseCommandLineOptions(argc, argv, "prune-bench: FC layers\n");
  std::vector<std::string> shapeList(shapes.begin(), shapes.end());
  std::vector<int64_t> batchList(batches.begin(), batches.end());
  std::vector<double> sparsityList(sparsities.begin(), sparsities.end());
  if (shapeList.empty())
    shapeList = {"1024x1024", "4096x4096", "4096x1024"};
  if (batchList.empty())
    batchList = {1, 8, 32};
  if (sparsityList.empty())
    sparsityList = {0.5, 0.7, 0.8, 0.9, 0.95};
  openblas_set_num_threads(1);

  DialectRegistry registry;
  registerAllUpstream(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  double bandwidth = measureBandwidth();
  // Everything printed also goes to `report` (for --markdown).
  std::string table, report;
  llvm::raw_string_ostream os(table);
  auto flush = [&] {
    llvm::outs() << table;
    llvm::outs().flush();
    report += table;
    table.clear();
  };
  os << llvm::formatv("Read bandwidth (1 thread, 512 MiB sum): {0:F1} GB/s. "
                      "OpenBLAS: {1}, 1 thread.\n\n",
                      bandwidth, openblas_get_config());
  os << "| shape (out x in) | batch | variant | median ms | min | max | "
        "x OpenBLAS | x dense (ours) | MB moved | % of bandwidth bound | "
        "GFLOP/s (dense-equivalent) |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  flush();
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
      Stats blas = timeIt([&] {
        if (batch == 1)
          cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, wf.data(),
                      in, xp, 1, 0.0f, y.data(), 1);
        else
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, out, in,
                      1.0f, xp, in, wf.data(), in, 0.0f, y.data(), out);
      });
      double flops = 2.0 * batch * out * in;
      double actBytes = 4.0 * batch * (in + out);
      auto row = [&](llvm::StringRef variant, const Stats &s, double dense,
                     double bytes) {
        os << llvm::formatv(
            "| {0} | {1} | {2} | {3:F3} | {4:F3} | {5:F3} | {6:F2} | {7} | "
            "{8:F1} | {9:F0}% | {10:F1} |\n",
            shape, batch, variant, s.median, s.min, s.max,
            blas.median / s.median,
            dense > 0 ? llvm::formatv("{0:F2}", dense / s.median).str()
                      : std::string("-"),
            bytes / 1e6, 100.0 * bytes / (s.median * 1e-3) / (bandwidth * 1e9),
            flops / (s.median * 1e-3) / 1e9);
        flush();
      };
      row("OpenBLAS", blas, 0, 4.0 * out * in + actBytes);

      OwningOpRef<ModuleOp> module = buildFc(ctx, batch, out, in, w);
      double denseMs = 0;
      std::vector<std::pair<std::string, std::string>> variants = {
          {"dense (ours)", ""}};
      for (double s : sparsityList)
        variants.push_back(
            {llvm::formatv("CSR {0:P0}", s).str(),
             llvm::formatv("nn-prune{{sparsity={0}},nn-sparsify{{format=csr}",
                           s)
                 .str()});
      for (auto &[name, pipeline] : variants) {
        auto compiled = CompiledModel::compile(
            *module, "fc", pipeline, CompileMode::JIT,
            pipeline.empty() ? 0 : vectorLength.getValue());
        if (!compiled) {
          llvm::errs() << name << ": " << llvm::toString(compiled.takeError())
                       << "\n";
          return 1;
        }
        std::vector<HostTensor> args = {x};
        Stats s = timeIt([&] { (void)(*compiled)->run(args); });
        if (pipeline.empty())
          denseMs = s.median;
        double bytes = (*compiled)->constantBytes() + actBytes;
        row(name, s, denseMs, bytes);
      }
    }
  }
  if (!markdown.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream file(markdown, ec);
    if (ec) {
      llvm::errs() << "cannot write " << markdown << ": " << ec.message()
                   << "\n";
      return 1;
    }
    file << report;
  }
  return 0;
}
