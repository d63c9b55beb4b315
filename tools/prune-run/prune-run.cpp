//===- prune-run.cpp - Run and compare dense and pruned models ------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a model under one or two pass pipelines (or two model files), runs
// them on real inputs (idx images or .npy arrays), and prints accuracy,
// agreement with a reference and with each other, parameter bytes as stored,
// and per-inference latency measured alternately in one run. `--sweep`
// applies a list of sparsities (and pipelines) to one dense model and writes
// a table and a plot.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/Inputs.h"
#include "prune-opt/Execution/Runner.h"
#include "prune-opt/Execution/TensorIO.h"
#include "prune-opt/InitAll.h"
#include "prune-opt/Utils/Format.h"
#include "prune-opt/Utils/SafeOutput.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/InitLLVM.h"
#include "prune-opt/Utils/ExternalWeights.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cmath>
#include <optional>
#include <sys/resource.h>

using namespace mlir;
using namespace mlir::prune;
namespace cl = llvm::cl;

static cl::OptionCategory category("prune-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string> entry("entry",
                                  cl::desc("Entry function (default: the "
                                           "first public function)"),
                                  cl::init(""), cl::cat(category));
static cl::opt<std::string>
    pipelineA("pipeline",
              cl::desc("Pass pipeline applied before nn-lower-cpu (model A), "
                       "e.g. 'nn-prune{sparsity=0.9},nn-sparsify'"),
              cl::init(""), cl::cat(category));
static cl::opt<std::string> pipelineB(
    "compare-pipeline",
    cl::desc("Pipeline of model B (the same model file unless "
             "--compare-model); B is compared with A"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string>
    compareModel("compare-model",
                 cl::desc("Model B from another file (same entry)"),
                 cl::init(""), cl::cat(category));
static cl::opt<bool> compare("compare",
                             cl::desc("Also run model B (implied by "
                                      "--compare-pipeline/--compare-model)"),
                             cl::init(false), cl::cat(category));
static cl::opt<CompileMode> mode(
    "mode", cl::desc("How models are compiled"), cl::init(CompileMode::JIT),
    cl::values(clEnumValN(CompileMode::JIT, "jit", "MLIR ExecutionEngine"),
               clEnumValN(CompileMode::AOT, "aot",
                          "clang-22 -O3 -march=native shared library")),
    cl::cat(category));
static cl::opt<Device> device(
    "device", cl::desc("Where model A's layers run (and the sweep's)"),
    cl::init(Device::Cpu),
    cl::values(clEnumValN(Device::Cpu, "cpu", "the host (nn-lower-cpu)"),
               clEnumValN(Device::Gpu, "gpu",
                          "an NVIDIA GPU (nn-lower-gpu, libPruneOptGpu)"),
               clEnumValN(Device::GpuEmulation, "gpu-emulation",
                          "the GPU lowering with its kernels emulated on "
                          "the host (libPruneOptGpuEmu; slow, for tests)")),
    cl::cat(category));
static cl::opt<Device> compareDevice(
    "compare-device", cl::desc("Where model B's layers run (default: "
                               "--device)"),
    cl::values(clEnumValN(Device::Cpu, "cpu", "the host"),
               clEnumValN(Device::Gpu, "gpu", "an NVIDIA GPU"),
               clEnumValN(Device::GpuEmulation, "gpu-emulation",
                          "the GPU kernels emulated on the host")),
    cl::cat(category));
static cl::opt<std::string> images("images",
                                   cl::desc("MNIST-style idx3 images (.gz ok)"),
                                   cl::init(""), cl::cat(category));
static cl::opt<std::string> labels("labels",
                                   cl::desc("idx1 labels (.gz ok)"),
                                   cl::init(""), cl::cat(category));
static cl::opt<std::string>
    preprocess("preprocess",
               cl::desc("Image preprocessing: scale=255,mean=M,std=S,pad=P,"
                        "layout=nchw|nhwc"),
               cl::init("scale=255"), cl::cat(category));
static cl::list<std::string>
    inputs("inputs", cl::desc("One .npy per argument, optional leading batch "
                              "axis"),
           cl::CommaSeparated, cl::cat(category));
static cl::opt<int64_t> first("first", cl::desc("First sample"), cl::init(0),
                              cl::cat(category));
static cl::opt<int64_t> limit("limit", cl::desc("Number of samples (-1: all)"),
                              cl::init(-1), cl::cat(category));
static cl::opt<std::string> reference("reference",
                                      cl::desc(".npy with reference outputs "
                                               "of model A ([N, ...])"),
                                      cl::init(""), cl::cat(category));
static cl::opt<double>
    tolerance("tolerance",
              cl::desc("Exit 1 if model A differs from the reference, or "
                       "model B from model A, by more than this"),
              cl::init(-1.0), cl::cat(category));
static cl::opt<std::string> output("output",
                                   cl::desc("Write model A's first output for "
                                            "every sample to this .npy"),
                                   cl::init(""), cl::cat(category));
static cl::opt<std::string>
    saveInputs("save-inputs",
               cl::desc("Write the samples' first argument, preprocessed, "
                        "to this .npy ([N, ...]; f32), e.g. for "
                        "prune-gpu-run"),
               cl::init(""), cl::cat(category));
static cl::opt<std::string>
    saveLabels("save-labels",
               cl::desc("Write the samples' labels to this .npy ([N]; i64)"),
               cl::init(""), cl::cat(category));
static cl::opt<int> bench("bench",
                          cl::desc("Time this many calls per model (0: none; "
                                   "--sweep default 200)"),
                          cl::init(-1), cl::cat(category));
static cl::opt<bool> printOutputs("print",
                                  cl::desc("Print every output of each model"),
                                  cl::init(false), cl::cat(category));
static cl::list<double>
    sweep("sweep",
          cl::desc("Sparsities to sweep, e.g. 0,0.5,0.8,0.9,0.95: each "
                   "--sweep-pipeline with $S replaced is compared with the "
                   "dense model (--pipeline)"),
          cl::CommaSeparated, cl::cat(category));
static cl::list<std::string> sweepPipelines(
    "sweep-pipeline",
    cl::desc("Pipeline template with $S for the sparsity (repeatable; "
             "default 'nn-prune{sparsity=$S},nn-sparsify')"),
    cl::cat(category));
static cl::opt<std::string>
    sweepOut("sweep-out",
             cl::desc("Write the sweep table to PREFIX.md and PREFIX.tsv and "
                      "the plot to PREFIX.png (gnuplot)"),
             cl::init(""), cl::cat(category));

namespace {
/// One compiled model and what it produced.
struct Model {
  std::string name, file, pipeline;
  std::unique_ptr<CompiledModel> compiled;
  std::vector<HostTensor> outputs; // first result per sample
  int64_t correct = 0;
  std::vector<double> latencies;
};

struct Diff {
  double maxAbs = 0, sumAbs = 0;
  int64_t count = 0, agree = 0, samples = 0;
  void add(const HostTensor &a, const HostTensor &b, int64_t bOffset = 0) {
    int64_t n = a.numElements();
    int64_t argA = 0, argB = 0;
    for (int64_t i = 0; i < n; ++i) {
      double x = a.get(i), y = b.get(bOffset + i);
      double d = std::fabs(x - y);
      if (std::isnan(d))
        d = INFINITY;
      maxAbs = std::max(maxAbs, d);
      sumAbs += d;
      if (x > a.get(argA))
        argA = i;
      if (y > b.get(bOffset + argB))
        argB = i;
    }
    count += n;
    agree += argA == argB;
    ++samples;
  }
  double agreement() const { return samples ? double(agree) / samples : 0; }
  void print(llvm::raw_ostream &os) const {
    os << llvm::format("max-abs-diff %.3e mean-abs-diff %.3e "
                       "top1-agreement %.4f (%lld/%lld)\n",
                       maxAbs, count ? sumAbs / count : 0.0, agreement(),
                       (long long)agree, (long long)samples);
  }
};

/// Where the inputs come from, and which samples run.
struct Inputs {
  std::optional<InputSource> source;
  std::vector<int64_t> labels;
  int64_t begin = 0, count = 0;
};
} // namespace

static int failWith(const llvm::Twine &msg) {
  llvm::errs() << "prune-run: error: " << msg << "\n";
  return 1;
}

static double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

static int64_t argmax(const HostTensor &t) {
  int64_t best = 0;
  for (int64_t i = 1, e = t.numElements(); i < e; ++i)
    if (t.get(i) > t.get(best))
      best = i;
  return best;
}

static llvm::Expected<std::vector<HostTensor>>
makeArgs(const Inputs &in, llvm::ArrayRef<TensorSpec>, int64_t s) {
  return in.source->sample(s);
}

static llvm::Error evaluate(Model &m, const Inputs &in) {
  m.outputs.clear();
  m.correct = 0;
  for (int64_t s = in.begin; s < in.begin + in.count; ++s) {
    auto args = makeArgs(in, m.compiled->inputSpecs(), s);
    if (!args)
      return args.takeError();
    auto outs = m.compiled->run(*args);
    if (!outs)
      return outs.takeError();
    HostTensor &o = (*outs)[0];
    if (!in.labels.empty())
      m.correct += argmax(o) == in.labels[s];
    m.outputs.push_back(std::move(o));
  }
  return llvm::Error::success();
}

/// Times `calls` calls of each model on sample `in.begin`, alternating the
/// models call by call so they see the same machine state.
static llvm::Error benchmark(llvm::MutableArrayRef<Model *> models,
                             const Inputs &in, int calls) {
  auto args = makeArgs(in, models[0]->compiled->inputSpecs(), in.begin);
  if (!args)
    return args.takeError();
  // Each call is what an application's call of the compiled function is:
  // the descriptors are built once, and the results are freed, not copied
  // (CompiledModel::Call).
  std::vector<CompiledModel::Call> prepared;
  for (Model *m : models) {
    auto c = m->compiled->prepare(*args);
    if (!c)
      return c.takeError();
    prepared.push_back(std::move(*c));
    m->latencies.clear();
    m->latencies.reserve(calls);
    for (int i = 0; i < 10; ++i) // warm-up
      if (auto err = prepared.back().invoke())
        return err;
  }
  for (int i = 0; i < calls; ++i)
    for (auto [m, c] : llvm::zip(models, prepared)) {
      auto t0 = std::chrono::steady_clock::now();
      llvm::Error err = c.invoke();
      auto t1 = std::chrono::steady_clock::now();
      if (err)
        return err;
      m->latencies.push_back(
          std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
  return llvm::Error::success();
}

static llvm::Expected<OwningOpRef<ModuleOp>>
loadModule(MLIRContext &context, llvm::SourceMgr &sourceMgr,
           llvm::StringRef path) {
  std::string errorMessage;
  auto file = openInputFile(path, &errorMessage);
  if (!file)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   errorMessage);
  std::string blobError;
  llvm::raw_string_ostream blobOs(blobError);
  if (failed(prune::checkResourceBlobAlignments(*file, blobOs)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   llvm::StringRef(blobError).rtrim());
  // (parseSourceFile parses the SourceMgr's main file: one SourceMgr per
  // model file.)
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot parse '" + path + "'");
  return module;
}

static long peakRssKiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}


static int runSweep(ModuleOp module, StringRef entryName, Inputs &in);

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Weight files the pipelines create for models with external weights are
  // scratch here: nothing refers to them once the tool exits.
  mlir::prune::removeCreatedWeightFilesAtExit();
  registerAllPasses();
  registerAllPruneOptPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "prune-run: compile, run and compare dense and pruned models\n");

  // Option values: checked before anything is compiled.
  if (first < 0)
    return failWith("--first must be >= 0");
  if (limit < -1)
    return failWith("--limit must be >= 0 (or -1 for all samples)");
  if (bench.getNumOccurrences() && bench < 0)
    return failWith("--bench must be >= 0");
  if (tolerance.getNumOccurrences() &&
      !(tolerance >= 0 && std::isfinite(tolerance)))
    return failWith("--tolerance must be a finite number >= 0");

  DialectRegistry registry;
  registerAllUpstream(registry);
  registerPruneOptDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  auto module = loadModule(context, sourceMgr, modelPath);
  if (!module)
    return failWith(llvm::toString(module.takeError()));

  std::string entryName = entry;
  if (entryName.empty()) {
    for (auto func : (*module)->getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal()) {
        entryName = func.getName().str();
        break;
      }
    if (entryName.empty())
      return failWith("the module has no public function");
  }

  // Model A decides the input signature; B must match it.
  std::vector<Model> models;
  models.push_back({"A", modelPath, pipelineA, nullptr, {}, 0, {}});
  auto compiledA =
      CompiledModel::compile(**module, entryName, pipelineA, mode,
                             /*vectorLength=*/-1, device);
  if (!compiledA)
    return failWith("model A: " + llvm::toString(compiledA.takeError()));
  models[0].compiled = std::move(*compiledA);
  auto specs = models[0].compiled->inputSpecs();

  // Inputs.
  Inputs in;
  if (!images.empty()) {
    auto source = InputSource::fromImages(images, preprocess, specs);
    if (!source)
      return failWith(llvm::toString(source.takeError()));
    in.source = std::move(*source);
  } else if (!inputs.empty()) {
    std::vector<std::string> paths(inputs.begin(), inputs.end());
    auto source = InputSource::fromNpy(paths, specs, entryName);
    if (!source)
      return failWith(llvm::toString(source.takeError()));
    in.source = std::move(*source);
  } else {
    return failWith("give inputs with --images or --inputs");
  }
  in.begin = first;
  in.count = limit < 0 ? in.source->size() - in.begin : limit;
  if (auto err = in.source->checkRange(in.begin, in.count))
    return failWith(llvm::toString(std::move(err)));
  if (!labels.empty()) {
    auto l = readIdxLabels(labels);
    if (!l)
      return failWith(llvm::toString(l.takeError()));
    in.labels = std::move(*l);
    if (int64_t(in.labels.size()) < in.begin + in.count)
      return failWith("fewer labels than samples");
    // Labels index the model's outputs (its classes).
    int64_t classes = 1;
    if (!models[0].compiled->outputSpecs().empty())
      for (int64_t d : models[0].compiled->outputSpecs()[0].shape)
        classes *= d;
    for (int64_t s = in.begin; s < in.begin + in.count; ++s)
      if (in.labels[s] < 0 || in.labels[s] >= classes)
        return failWith("label " + std::to_string(in.labels[s]) +
                        " of sample " + std::to_string(s) +
                        " is outside the model's " + std::to_string(classes) +
                        " classes");
  }

  if (!sweep.empty())
    return runSweep(**module, entryName, in);

  // Model B from another file gets a context of its own: parsing it into
  // A's would rename its resources whose keys A already uses (k -> k_1),
  // and a blob-less key is the name of a tensor in its weight files.
  MLIRContext contextB(registry);
  contextB.loadAllAvailableDialects();
  std::optional<OwningOpRef<ModuleOp>> moduleB;
  llvm::SourceMgr sourceMgrB;
  SourceMgrDiagnosticHandler handlerB(sourceMgrB, &contextB);
  if (compare || !pipelineB.empty() || !compareModel.empty()) {
    Model b{"B", compareModel.empty() ? std::string(modelPath) : compareModel,
            pipelineB, nullptr, {}, 0, {}};
    ModuleOp source = **module;
    if (!compareModel.empty()) {
      auto loaded = loadModule(contextB, sourceMgrB, compareModel);
      if (!loaded)
        return failWith(llvm::toString(loaded.takeError()));
      moduleB = std::move(*loaded);
      source = **moduleB;
    }
    auto compiled = CompiledModel::compile(
        source, entryName, pipelineB, mode, /*vectorLength=*/-1,
        compareDevice.getNumOccurrences() ? compareDevice.getValue()
                                          : device.getValue());
    if (!compiled)
      return failWith("model B: " + llvm::toString(compiled.takeError()));
    b.compiled = std::move(*compiled);
    if (b.compiled->inputSpecs().size() != specs.size())
      return failWith("models A and B take different inputs");
    for (auto [x, y] : llvm::zip(specs, b.compiled->inputSpecs()))
      if (x.shape != y.shape)
        return failWith("models A and B take different inputs");
    models.push_back(std::move(b));
  }

  for (Model &m : models)
    if (auto err = evaluate(m, in))
      return failWith(llvm::toString(std::move(err)));

  llvm::outs() << "model: " << modelPath << " entry: " << entryName
               << " samples: " << in.count << "\n";
  bool failed = false;
  for (Model &m : models) {
    llvm::outs() << "[" << m.name << "] pipeline: "
                 << (m.pipeline.empty() ? "(none)" : m.pipeline)
                 << (m.file != modelPath.getValue() ? " on " + m.file : "")
                 << "\n";
    llvm::outs() << "[" << m.name << "] parameters as stored: "
                 << formatBytes(m.compiled->constantBytes()) << " ("
                 << m.compiled->constantBytes() << " bytes)\n";
    if (!in.labels.empty())
      llvm::outs() << "[" << m.name << "] "
                   << llvm::format("accuracy: %.4f (%lld/%lld)\n",
                                   double(m.correct) / in.count,
                                   (long long)m.correct, (long long)in.count);
  }
  if (printOutputs)
    for (Model &m : models)
      for (auto [s, o] : llvm::enumerate(m.outputs)) {
        llvm::outs() << "[" << m.name << "] sample " << in.begin + s << ":";
        for (int64_t i = 0, e = o.numElements(); i < e; ++i)
          llvm::outs() << llvm::format(" %.7g", o.get(i));
        llvm::outs() << "\n";
      }
  if (!reference.empty()) {
    auto ref = readNpy(reference);
    if (!ref)
      return failWith(llvm::toString(ref.takeError()));
    int64_t per = models[0].outputs[0].numElements();
    int64_t refPer = 1;
    for (size_t i = 1; i < ref->shape.size(); ++i)
      refPer *= ref->shape[i];
    if (ref->shape.empty() || refPer != per)
      return failWith("reference '" + reference.getValue() +
                      "' is not [N, ...] with " + std::to_string(per) +
                      " values per sample (one row per sample of model A's "
                      "first output)");
    if (ref->shape[0] < in.begin + in.count)
      return failWith("reference has fewer rows than samples");
    Diff d;
    for (int64_t s = 0; s < in.count; ++s)
      d.add(models[0].outputs[s], *ref, (in.begin + s) * per);
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
    for (int64_t s = 0; s < in.count; ++s)
      d.add(models[1].outputs[s], models[0].outputs[s]);
    llvm::outs() << "[B vs A] ";
    d.print(llvm::outs());
    if (tolerance >= 0 && d.maxAbs > tolerance) {
      llvm::errs() << "prune-run: model B differs from model A by "
                   << d.maxAbs << " > tolerance " << tolerance.getValue()
                   << "\n";
      failed = true;
    }
  }
  if (bench > 0) {
    std::vector<Model *> ptrs;
    for (Model &m : models)
      ptrs.push_back(&m);
    if (auto err = benchmark(ptrs, in, bench))
      return failWith(llvm::toString(std::move(err)));
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
  llvm::outs() << "peak-rss: " << formatBytes(peakRssKiB() * 1024) << "\n";
  if (!output.empty()) {
    std::vector<int64_t> shape = models[0].outputs[0].shape;
    shape.insert(shape.begin(), in.count);
    HostTensor all(models[0].outputs[0].kind, shape);
    size_t off = 0;
    for (const HostTensor &o : models[0].outputs) {
      std::copy(o.bytes.begin(), o.bytes.end(), all.bytes.begin() + off);
      off += o.bytes.size();
    }
    if (auto err = writeNpy(output, all))
      return failWith(llvm::toString(std::move(err)));
  }
  if (!saveInputs.empty()) {
    std::vector<HostTensor> samples;
    for (int64_t s = in.begin; s < in.begin + in.count; ++s) {
      auto args = in.source->sample(s);
      if (!args)
        return failWith(llvm::toString(args.takeError()));
      samples.push_back((*args)[0].convertTo(ElementKind::F32));
    }
    std::vector<int64_t> shape = samples[0].shape;
    shape.insert(shape.begin(), in.count);
    HostTensor all(ElementKind::F32, shape);
    for (size_t i = 0, off = 0; i < samples.size(); ++i) {
      std::copy(samples[i].bytes.begin(), samples[i].bytes.end(),
                all.bytes.begin() + off);
      off += samples[i].bytes.size();
    }
    if (auto err = writeNpy(saveInputs, all))
      return failWith(llvm::toString(std::move(err)));
  }
  if (!saveLabels.empty()) {
    if (in.labels.empty())
      return failWith("--save-labels needs --labels");
    HostTensor all(ElementKind::I64, {in.count});
    std::memcpy(all.bytes.data(), in.labels.data() + in.begin,
                in.count * sizeof(int64_t));
    if (auto err = writeNpy(saveLabels, all))
      return failWith(llvm::toString(std::move(err)));
  }
  return failed ? 1 : 0;
}

//===----------------------------------------------------------------------===//
// --sweep
//===----------------------------------------------------------------------===//

namespace {
struct SweepRow {
  std::string templ, pipeline;
  double sparsity;
  double accuracy = NAN, agreement, maxDiff;
  double latency, baseLatency;
  int64_t bytes;
};
} // namespace

static llvm::Error writeSweepFiles(StringRef prefix, StringRef title,
                                   const Model &base, double baseAccuracy,
                                   ArrayRef<SweepRow> rows, bool haveLabels) {
  std::error_code ec;
  if (auto err = writeFileSafely((prefix + ".tsv").str(), [&](raw_ostream &tsv) {
    tsv << "template\tpipeline\tsparsity\taccuracy\ttop1_agreement\t"
           "max_abs_diff\tlatency_us\tdense_latency_us\tspeedup\t"
           "param_bytes\n";
    for (const SweepRow &r : rows)
      tsv << r.templ << "\t" << r.pipeline << "\t"
          << llvm::format("%g", r.sparsity) << "\t"
          << (haveLabels ? llvm::formatv("{0:F4}", r.accuracy).str() : "")
          << "\t" << llvm::formatv("{0:F4}", r.agreement) << "\t"
          << llvm::formatv("{0:E3}", r.maxDiff) << "\t"
          << llvm::formatv("{0:F2}", r.latency) << "\t"
          << llvm::formatv("{0:F2}", r.baseLatency) << "\t"
          << llvm::formatv("{0:F2}", r.baseLatency / r.latency) << "\t"
          << r.bytes << "\n";
    return llvm::Error::success();
  }))
    return err;
  if (auto err = writeFileSafely((prefix + ".md").str(), [&](raw_ostream &md) {
    md << "# " << title << "\n\n"
       << "Dense: accuracy "
       << (haveLabels ? llvm::formatv("{0:F4}", baseAccuracy).str() : "n/a")
       << ", parameters " << formatBytes(base.compiled->constantBytes())
       << ".\n\n"
       << "| pipeline | sparsity | accuracy | top-1 agreement with dense | "
          "latency µs (median) | dense µs | speedup | parameters |\n"
       << "|---|---|---|---|---|---|---|---|\n";
    for (const SweepRow &r : rows)
      md << "| `" << r.pipeline << "` | " << llvm::format("%g", r.sparsity)
         << " | "
         << (haveLabels ? llvm::formatv("{0:F4}", r.accuracy).str() : "n/a")
         << " | " << llvm::formatv("{0:F4}", r.agreement) << " | "
         << llvm::formatv("{0:F2}", r.latency) << " | "
         << llvm::formatv("{0:F2}", r.baseLatency) << " | "
         << llvm::formatv("{0:F2}x", r.baseLatency / r.latency) << " | "
         << formatBytes(r.bytes) << " |\n";
    return llvm::Error::success();
  }))
    return err;
  // Plot with gnuplot when it is installed (Debian: gnuplot-nox).
  auto gnuplot = llvm::sys::findProgramByName("gnuplot");
  if (!gnuplot) {
    llvm::errs() << "prune-run: gnuplot not found: no plot (apt-get install "
                    "gnuplot-nox)\n";
    return llvm::Error::success();
  }
  // The script is a temporary file (never next to the user's outputs).
  llvm::SmallString<128> script;
  if ((ec = llvm::sys::fs::createTemporaryFile("prune-run-plot", "gp", script)))
    return llvm::createStringError(ec, "cannot create the gnuplot script");
  {
    llvm::raw_fd_ostream gp(script, ec);
    gp << "set terminal pngcairo size 1100,450 noenhanced\n"
       << "set output '" << prefix << ".png'\n"
       << "set datafile separator '\\t'\n"
       << "set multiplot layout 1,2 title '" << title << "'\n"
       << "set key bottom left\nset grid\nset xlabel 'sparsity'\n"
       << "set xtics 0.1\n"
       << "set ylabel '" << (haveLabels ? "accuracy" : "top-1 agreement")
       << "'\nset yrange [0:1.02]\n";
    int col = haveLabels ? 4 : 5;
    std::vector<std::string> pipes; // one series per template
    for (const SweepRow &r : rows)
      if (!llvm::is_contained(pipes, r.templ))
        pipes.push_back(r.templ);
    auto plotLines = [&](const std::string &using_) {
      for (auto [i, p] : llvm::enumerate(pipes)) {
        gp << (i ? ", " : "plot ") << "'" << prefix << ".tsv' every ::"
           << 1 << " using (strcol(1) eq '" << p << "' ? $3 : NaN):"
           << using_ << " with linespoints lw 2 title '" << p << "'";
      }
    };
    plotLines(std::to_string(col));
    if (haveLabels)
      gp << ", " << baseAccuracy << " with lines dt 2 title 'dense'";
    gp << "\nset ylabel 'latency (µs, median)'\nset yrange [0:*]\n"
       << "set key top right\n";
    plotLines("7");
    gp << ", '" << prefix << ".tsv' every ::1 using 3:8 with points pt 1 "
       << "title 'dense (same run)'\nunset multiplot\n";
  }
  std::string err;
  int rc = llvm::sys::ExecuteAndWait(*gnuplot, {*gnuplot, script},
                                     std::nullopt, {}, 0, 0, &err);
  llvm::sys::fs::remove(script);
  if (rc != 0)
    llvm::errs() << "prune-run: gnuplot failed: " << err << "\n";
  return llvm::Error::success();
}

static int runSweep(ModuleOp module, StringRef entryName, Inputs &in) {
  std::vector<std::string> templates(sweepPipelines.begin(),
                                     sweepPipelines.end());
  if (templates.empty())
    templates.push_back("nn-prune{sparsity=$S},nn-sparsify");
  int calls = bench < 0 ? 200 : bench.getValue();

  Model base{"dense", modelPath, pipelineA, nullptr, {}, 0, {}};
  auto compiled = CompiledModel::compile(module, entryName, pipelineA, mode,
                                         /*vectorLength=*/-1, device);
  if (!compiled)
    return failWith("dense model: " + llvm::toString(compiled.takeError()));
  base.compiled = std::move(*compiled);
  if (auto err = evaluate(base, in))
    return failWith(llvm::toString(std::move(err)));
  double baseAccuracy = double(base.correct) / in.count;

  std::vector<SweepRow> rows;
  size_t total = templates.size() * sweep.size(), done = 0;
  for (const std::string &tmpl : templates) {
    for (double s : sweep) {
      std::string sparsity = llvm::formatv("{0}", s).str();
      while (sparsity.size() > 3 && sparsity.back() == '0')
        sparsity.pop_back(); // 0.50 -> 0.5
      std::string pipeline = tmpl;
      for (size_t pos; (pos = pipeline.find("$S")) != std::string::npos;)
        pipeline.replace(pos, 2, sparsity);
      llvm::errs() << llvm::formatv("[{0}/{1}] {2} ...\n", ++done, total,
                                    pipeline);
      Model m{"B", modelPath, pipeline, nullptr, {}, 0, {}};
      auto c = CompiledModel::compile(module, entryName, pipeline, mode,
                                      /*vectorLength=*/-1, device);
      if (!c)
        return failWith(pipeline + ": " + llvm::toString(c.takeError()));
      m.compiled = std::move(*c);
      if (auto err = evaluate(m, in))
        return failWith(llvm::toString(std::move(err)));
      Diff d;
      for (int64_t i = 0; i < in.count; ++i)
        d.add(m.outputs[i], base.outputs[i]);
      Model *pair[] = {&base, &m};
      if (auto err = benchmark(pair, in, calls))
        return failWith(llvm::toString(std::move(err)));
      rows.push_back({tmpl, pipeline, s, double(m.correct) / in.count,
                      d.agreement(), d.maxAbs, median(m.latencies),
                      median(base.latencies), m.compiled->constantBytes()});
    }
  }
  bool haveLabels = !in.labels.empty();
  llvm::outs() << "model: " << modelPath << " entry: " << entryName
               << " samples: " << in.count << " latency: median of "
               << calls << " calls, alternating with dense\n";
  llvm::outs() << llvm::formatv(
      "dense: accuracy {0} parameters {1} latency-us {2:F2}\n",
      haveLabels ? llvm::formatv("{0:F4}", baseAccuracy).str() : "n/a",
      formatBytes(base.compiled->constantBytes()), median(base.latencies));
  llvm::outs() << llvm::formatv("{0,-44} {1,8} {2,8} {3,9} {4,10} {5,10} "
                                "{6,8} {7,11}\n",
                                "pipeline", "sparsity", "accuracy", "agree",
                                "sparse-us", "dense-us", "speedup", "params");
  for (const SweepRow &r : rows)
    llvm::outs() << llvm::formatv(
        "{0,-44} {1,8} {2,8} {3,9:F4} {4,10:F2} {5,10:F2} {6,7:F2}x {7,11}\n",
        r.pipeline, r.sparsity,
        haveLabels ? llvm::formatv("{0:F4}", r.accuracy).str() : "n/a",
        r.agreement, r.latency, r.baseLatency, r.baseLatency / r.latency,
        formatBytes(r.bytes));
  if (!sweepOut.empty()) {
    std::string title =
        (llvm::sys::path::filename(modelPath) + ": dense vs pruned").str();
    if (auto err = writeSweepFiles(sweepOut, title, base, baseAccuracy, rows,
                                   haveLabels))
      return failWith(llvm::toString(std::move(err)));
    llvm::outs() << "wrote " << sweepOut << ".md, " << sweepOut << ".tsv"
                 << (llvm::sys::findProgramByName("gnuplot") ? ", " + sweepOut + ".png" : std::string())
                 << "\n";
  }
  return 0;
}
