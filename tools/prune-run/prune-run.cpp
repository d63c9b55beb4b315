//===- prune-run.cpp - Run and compare dense and pruned models ------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a model under one or two pass pipelines (e.g. dense vs
// "nn-prune{sparsity=0.9},nn-sparsify"), runs both on real inputs (idx images
// or .npy arrays), and prints accuracy, agreement with a reference and with
// each other, and per-inference latency measured alternately in one run.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/Runner.h"
#include "prune-opt/Execution/TensorIO.h"
#include "prune-opt/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>

using namespace mlir;
using namespace mlir::prune;
namespace cl = llvm::cl;

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"));
static cl::opt<std::string> entry("entry", cl::desc("Entry function"),
                                  cl::init(""));
static cl::opt<std::string>
    pipelineA("pipeline",
              cl::desc("Pass pipeline applied before nn-lower-cpu (model A), "
                       "e.g. 'nn-prune{sparsity=0.9},nn-sparsify'"),
              cl::init(""));
static cl::opt<std::string> pipelineB(
    "compare-pipeline",
    cl::desc("Second pipeline (model B), compared with model A"),
    cl::init(""));
static cl::opt<bool> compare("compare",
                             cl::desc("Run model B (--compare-pipeline)"),
                             cl::init(false));
static cl::opt<std::string> images("images",
                                   cl::desc("MNIST-style idx3 images (.gz ok)"),
                                   cl::init(""));
static cl::opt<std::string> labels("labels",
                                   cl::desc("idx1 labels (.gz ok)"),
                                   cl::init(""));
static cl::opt<std::string>
    preprocess("preprocess",
               cl::desc("Image preprocessing: scale=255,mean=M,std=S,pad=P,"
                        "layout=nchw|nhwc"),
               cl::init("scale=255"));
static cl::list<std::string>
    inputs("inputs", cl::desc("One .npy per argument, leading batch axis"),
           cl::CommaSeparated);
static cl::opt<int64_t> first("first", cl::desc("First sample"), cl::init(0));
static cl::opt<int64_t> limit("limit", cl::desc("Number of samples (-1: all)"),
                              cl::init(-1));
static cl::opt<std::string> reference("reference",
                                      cl::desc(".npy with reference outputs "
                                               "of model A ([N, ...])"),
                                      cl::init(""));
static cl::opt<double>
    tolerance("tolerance",
              cl::desc("Fail if model A differs from the reference, or "
                       "model B from model A, by more than this"),
              cl::init(-1.0));
static cl::opt<std::string> output("output",
                                   cl::desc("Write model A outputs to .npy"),
                                   cl::init(""));
static cl::opt<int> bench("bench",
                          cl::desc("Time this many calls per model (0: none)"),
                          cl::init(0));

namespace {
struct Model {
  std::string name, pipeline;
  std::unique_ptr<CompiledModel> compiled;
  std::vector<HostTensor> outputs; // first result per sample
  int64_t correct = 0;
  std::vector<double> latencies;
};

struct Diff {
  double maxAbs = 0, sumAbs = 0;
  int64_t count = 0, agree = 0, samples = 0;
  void add(const HostTensor &a, const float *b) {
    for (size_t i = 0; i < a.data.size(); ++i) {
      double d = std::fabs(double(a.data[i]) - b[i]);
      if (std::isnan(d))
        d = INFINITY;
      maxAbs = std::max(maxAbs, d);
      sumAbs += d;
    }
    count += a.data.size();
    auto argmaxA = std::max_element(a.data.begin(), a.data.end()) - a.data.begin();
    auto argmaxB = std::max_element(b, b + a.data.size()) - b;
    agree += argmaxA == argmaxB;
    ++samples;
  }
  void print(llvm::raw_ostream &os) const {
    os << llvm::format("max-abs-diff %.3e mean-abs-diff %.3e "
                       "top1-agreement %.4f (%lld/%lld)\n",
                       maxAbs, count ? sumAbs / count : 0.0,
                       samples ? double(agree) / samples : 0.0,
                       (long long)agree, (long long)samples);
  }
};
} // namespace

static int failWith(const llvm::Twine &msg) {
  llvm::errs() << "prune-run: error: " << msg << "\n";
  return 1;
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  registerAllPruneOptPasses();
  cl::ParseCommandLineOptions(
      argc, argv,
      "prune-run: compile, run and compare dense and pruned models\n");

  DialectRegistry registry;
  registerAllUpstream(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  std::string errorMessage;
  auto file = openInputFile(modelPath, &errorMessage);
  if (!file)
    return failWith(errorMessage);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return failWith("cannot parse '" + modelPath + "'");

  std::string entryName = entry;
  if (entryName.empty()) {
    for (auto func : module->getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal()) {
        entryName = func.getName().str();
        break;
      }
    if (entryName.empty())
      return failWith("the module has no public function");
  }

  std::vector<Model> models;
  models.push_back({"A", pipelineA, nullptr, {}, 0, {}});
  if (compare || !pipelineB.empty())
    models.push_back({"B", pipelineB, nullptr, {}, 0, {}});
  for (Model &m : models) {
    auto compiled = CompiledModel::compile(*module, entryName, m.pipeline);
    if (!compiled)
      return failWith("model " + m.name + ": " +
                      llvm::toString(compiled.takeError()));
    m.compiled = std::move(*compiled);
  }
  auto inShapes = models[0].compiled->inputShapes();

  // Inputs: a function from sample index to argument list.
  int64_t available = 1;
  std::optional<IdxImages> idx;
  std::vector<HostTensor> npys;
  Preprocess pre;
  if (!images.empty()) {
    auto loaded = readIdxImages(images);
    if (!loaded)
      return failWith(llvm::toString(loaded.takeError()));
    idx = std::move(*loaded);
    available = idx->count;
    auto parsed = parsePreprocess(preprocess);
    if (!parsed)
      return failWith(llvm::toString(parsed.takeError()));
    pre = *parsed;
    if (inShapes.size() != 1)
      return failWith("--images needs an entry with exactly one argument");
  } else if (!inputs.empty()) {
    if (inputs.size() != inShapes.size())
      return failWith("'" + entryName + "' takes " +
                      llvm::Twine(inShapes.size()) + " arguments but " +
                      llvm::Twine(inputs.size()) + " --inputs were given");
    for (auto [i, path] : llvm::enumerate(inputs)) {
      auto t = readNpy(path);
      if (!t)
        return failWith(llvm::toString(t.takeError()));
      const auto &want = inShapes[i];
      int64_t n;
      if (t->shape == want)
        n = 1;
      else if (t->shape.size() == want.size() + 1 &&
               std::equal(want.begin(), want.end(), t->shape.begin() + 1))
        n = t->shape[0];
      else
        return failWith("'" + path + "' has the wrong shape for argument #" +
                        llvm::Twine(i) + " of '" + entryName + "'");
      available = i == 0 ? n : std::min(available, n);
      npys.push_back(std::move(*t));
    }
  } else {
    return failWith("give inputs with --images or --inputs");
  }
  int64_t begin = first, count = limit < 0 ? available - begin : limit;
  if (begin < 0 || count < 0 || begin + count > available)
    return failWith("samples [" + llvm::Twine(begin) + ", " +
                    llvm::Twine(begin + count) + ") are out of range (" +
                    llvm::Twine(available) + " available)");

  auto makeArgs = [&](int64_t s) -> llvm::Expected<std::vector<HostTensor>> {
    std::vector<HostTensor> args;
    if (idx) {
      auto t = makeImageInput(*idx, s, pre, inShapes[0]);
      if (!t)
        return t.takeError();
      args.push_back(std::move(*t));
      return args;
    }
    for (auto [i, t] : llvm::enumerate(npys)) {
      HostTensor arg;
      arg.shape = inShapes[i];
      int64_t n = arg.numElements();
      int64_t offset = t.shape == inShapes[i] ? 0 : s * n;
      arg.data.assign(t.data.begin() + offset, t.data.begin() + offset + n);
      args.push_back(std::move(arg));
    }
    return args;
  };

  std::vector<int64_t> labelData;
  if (!labels.empty()) {
    auto l = readIdxLabels(labels);
    if (!l)
      return failWith(llvm::toString(l.takeError()));
    labelData = std::move(*l);
    if (int64_t(labelData.size()) < begin + count)
      return failWith("fewer labels than samples");
  }
  std::optional<HostTensor> ref;
  if (!reference.empty()) {
    auto r = readNpy(reference);
    if (!r)
      return failWith(llvm::toString(r.takeError()));
    ref = std::move(*r);
  }

  for (int64_t s = begin; s < begin + count; ++s) {
    auto args = makeArgs(s);
    if (!args)
      return failWith(llvm::toString(args.takeError()));
    for (Model &m : models) {
      auto outs = m.compiled->run(*args);
      if (!outs)
        return failWith(llvm::toString(outs.takeError()));
      HostTensor &o = (*outs)[0];
      if (!labelData.empty()) {
        auto argmax = std::max_element(o.data.begin(), o.data.end()) -
                      o.data.begin();
        m.correct += argmax == labelData[s];
      }
      m.outputs.push_back(std::move(o));
    }
  }

  llvm::outs() << "model: " << modelPath << " entry: " << entryName
               << " samples: " << count << "\n";
  bool failed = false;
  for (Model &m : models) {
    llvm::outs() << "[" << m.name << "] pipeline: "
                 << (m.pipeline.empty() ? "(none)" : m.pipeline) << "\n";
    if (!labelData.empty())
      llvm::outs() << "[" << m.name << "] "
                   << llvm::format("accuracy: %.4f (%lld/%lld)\n",
                                   count ? double(m.correct) / count : 0.0,
                                   (long long)m.correct, (long long)count);
  }
  if (ref) {
    Diff d;
    int64_t per = models[0].outputs.empty() ? 0
                                            : models[0].outputs[0].numElements();
    if (ref->numElements() < (begin + count) * per)
      return failWith("reference has fewer rows than samples");
    for (int64_t s = 0; s < count; ++s)
      d.add(models[0].outputs[s], ref->data.data() + (begin + s) * per);
    llvm::outs() << "[A vs reference] ";
    d.print(llvm::outs());
    if (tolerance >= 0 && d.maxAbs > tolerance) {
      llvm::errs() << "prune-run: model A differs from the reference by "
                   << d.maxAbs << " > tolerance " << tolerance.getValue()
                   << "\n";
      failed = true;
    }
  }
  if (models.size() == 2) {
    Diff d;
    for (int64_t s = 0; s < count; ++s)
      d.add(models[1].outputs[s], models[0].outputs[s].data.data());
    llvm::outs() << "[B vs A] ";
    d.print(llvm::outs());
    if (tolerance >= 0 && d.maxAbs > tolerance) {
      llvm::errs() << "prune-run: model B differs from model A by "
                   << d.maxAbs << " > tolerance " << tolerance.getValue()
                   << "\n";
      failed = true;
    }
  }
  if (bench > 0 && count > 0) {
    auto args = makeArgs(begin);
    if (!args)
      return failWith(llvm::toString(args.takeError()));
    for (Model &m : models) // warm-up
      for (int i = 0; i < 10; ++i)
        (void)m.compiled->run(*args);
    // Alternate the models call by call so they see the same machine state.
    for (int i = 0; i < bench; ++i)
      for (Model &m : models) {
        auto t0 = std::chrono::steady_clock::now();
        auto outs = m.compiled->run(*args);
        auto t1 = std::chrono::steady_clock::now();
        if (!outs)
          return failWith(llvm::toString(outs.takeError()));
        m.latencies.push_back(
            std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    for (Model &m : models)
      llvm::outs() << "[" << m.name << "] "
                   << llvm::format("latency-us: median %.2f min %.2f max "
                                   "%.2f (%d calls)\n",
                                   median(m.latencies),
                                   *std::min_element(m.latencies.begin(),
                                                     m.latencies.end()),
                                   *std::max_element(m.latencies.begin(),
                                                     m.latencies.end()),
                                   bench.getValue());
    if (models.size() == 2)
      llvm::outs() << llvm::format("[A/B] median latency ratio: %.2fx\n",
                                   median(models[0].latencies) /
                                       median(models[1].latencies));
  }
  if (!output.empty()) {
    HostTensor all;
    if (!models[0].outputs.empty()) {
      all.shape = models[0].outputs[0].shape;
      all.shape.insert(all.shape.begin(), count);
      for (const HostTensor &o : models[0].outputs)
        all.data.insert(all.data.end(), o.data.begin(), o.data.end());
    }
    if (auto err = writeNpy(output, all))
      return failWith(llvm::toString(std::move(err)));
  }
  return failed ? 1 : 0;
}
