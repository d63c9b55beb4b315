//===- PruneOptC.cpp - C API of prune-opt ---------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// A thin layer over mlir::prune::CompiledModel (Execution/Runner.h): every
// C++ error, and every diagnostic MLIR emits meanwhile, becomes a message
// string; nothing throws or aborts across the API.
//
//===----------------------------------------------------------------------===//

#include "prune-opt-c/PruneOpt.h"

#include "prune-opt/Execution/Runner.h"
#include "prune-opt/InitAll.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

using namespace mlir;
using namespace mlir::prune;

struct prune_opt_model {
  // The context outlives the compiled code that came from it.
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<CompiledModel> compiled;
  std::string entry;
};

static void setError(char **error, const std::string &message) {
  if (!error)
    return;
  *error = static_cast<char *>(std::malloc(message.size() + 1));
  if (*error)
    std::memcpy(*error, message.c_str(), message.size() + 1);
}

static void registerOnce() {
  static std::once_flag once;
  std::call_once(once, [] { registerAllPruneOptPasses(); });
}

prune_opt_model *prune_opt_compile(const char *modelPath, const char *pipeline,
                                   char **error) {
  return prune_opt_compile_entry(modelPath, nullptr, pipeline, error);
}

prune_opt_model *prune_opt_compile_entry(const char *modelPath,
                                         const char *entry,
                                         const char *pipeline, char **error) {
  if (error)
    *error = nullptr;
  if (!modelPath) {
    setError(error, "prune_opt_compile: model_path is NULL");
    return nullptr;
  }
  registerOnce();
  auto model = std::make_unique<prune_opt_model>();
  DialectRegistry registry;
  registerAllUpstream(registry);
  registerPruneOptDialects(registry);
  model->context = std::make_unique<MLIRContext>(registry);
  model->context->loadAllAvailableDialects();

  // Every diagnostic (parser, passes) goes into the message, not stderr.
  std::string diagnostics;
  llvm::raw_string_ostream diagOs(diagnostics);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, model->context.get(), diagOs);

  std::string message;
  auto file = openInputFile(modelPath, &message);
  if (!file) {
    setError(error, message);
    return nullptr;
  }
  if (failed(prune::checkResourceBlobAlignments(*file, diagOs))) {
    setError(error, StringRef(diagnostics).trim().str());
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, model->context.get());
  auto failWith = [&](std::string what) -> prune_opt_model * {
    StringRef diags = StringRef(diagnostics).trim();
    if (!diags.empty()) {
      // The diagnostics follow in the same message.
      size_t at = what.find(" (see diagnostics above)");
      if (at != std::string::npos)
        what.erase(at, strlen(" (see diagnostics above)"));
      what += ":\n" + diags.str();
    }
    setError(error, what);
    return nullptr;
  };
  if (!module)
    return failWith(std::string("cannot parse '") + modelPath + "'");

  if (entry && *entry) {
    model->entry = entry;
  } else {
    for (auto func : module->getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal()) {
        model->entry = func.getName().str();
        break;
      }
    if (model->entry.empty())
      return failWith("the module has no public function with a body");
  }
  auto compiled =
      CompiledModel::compile(*module, model->entry, pipeline ? pipeline : "");
  if (!compiled)
    return failWith(llvm::toString(compiled.takeError()));
  model->compiled = std::move(*compiled);
  return model.release();
}

const char *prune_opt_entry(const prune_opt_model *model) {
  return model ? model->entry.c_str() : "";
}

int prune_opt_num_inputs(const prune_opt_model *model) {
  return model ? static_cast<int>(model->compiled->inputSpecs().size()) : -1;
}

int prune_opt_num_outputs(const prune_opt_model *model) {
  return model ? static_cast<int>(model->compiled->outputSpecs().size()) : -1;
}

static const TensorSpec *spec(llvm::ArrayRef<TensorSpec> specs, int index) {
  if (index < 0 || static_cast<size_t>(index) >= specs.size())
    return nullptr;
  return &specs[index];
}
static const TensorSpec *inSpec(const prune_opt_model *model, int index) {
  return model ? spec(model->compiled->inputSpecs(), index) : nullptr;
}
static const TensorSpec *outSpec(const prune_opt_model *model, int index) {
  return model ? spec(model->compiled->outputSpecs(), index) : nullptr;
}
static int64_t numElements(const TensorSpec &s) {
  int64_t n = 1;
  for (int64_t d : s.shape)
    n *= d;
  return n;
}

int prune_opt_input_rank(const prune_opt_model *model, int index) {
  const TensorSpec *s = inSpec(model, index);
  return s ? static_cast<int>(s->shape.size()) : -1;
}
const int64_t *prune_opt_input_shape(const prune_opt_model *model, int index) {
  const TensorSpec *s = inSpec(model, index);
  return s ? s->shape.data() : nullptr;
}
int64_t prune_opt_input_size(const prune_opt_model *model, int index) {
  const TensorSpec *s = inSpec(model, index);
  return s ? numElements(*s) : -1;
}
const char *prune_opt_input_type(const prune_opt_model *model, int index) {
  const TensorSpec *s = inSpec(model, index);
  return s ? elementKindName(s->kind).data() : "";
}
int prune_opt_output_rank(const prune_opt_model *model, int index) {
  const TensorSpec *s = outSpec(model, index);
  return s ? static_cast<int>(s->shape.size()) : -1;
}
const int64_t *prune_opt_output_shape(const prune_opt_model *model, int index) {
  const TensorSpec *s = outSpec(model, index);
  return s ? s->shape.data() : nullptr;
}
int64_t prune_opt_output_size(const prune_opt_model *model, int index) {
  const TensorSpec *s = outSpec(model, index);
  return s ? numElements(*s) : -1;
}
const char *prune_opt_output_type(const prune_opt_model *model, int index) {
  const TensorSpec *s = outSpec(model, index);
  return s ? elementKindName(s->kind).data() : "";
}

int64_t prune_opt_constant_bytes(const prune_opt_model *model) {
  return model ? model->compiled->constantBytes() : -1;
}

int prune_opt_run(prune_opt_model *model, const float *const *inputs,
                  float *const *outputs, char **error) {
  if (error)
    *error = nullptr;
  if (!model) {
    setError(error, "prune_opt_run: model is NULL");
    return 1;
  }
  llvm::ArrayRef<TensorSpec> inSpecs = model->compiled->inputSpecs();
  llvm::ArrayRef<TensorSpec> outSpecs = model->compiled->outputSpecs();
  if ((!inputs && !inSpecs.empty()) || (!outputs && !outSpecs.empty())) {
    setError(error, "prune_opt_run: inputs or outputs is NULL");
    return 1;
  }
  std::vector<HostTensor> hostInputs;
  for (auto [i, s] : llvm::enumerate(inSpecs)) {
    if (!inputs[i]) {
      setError(error, "prune_opt_run: input " + std::to_string(i) + " is NULL");
      return 1;
    }
    HostTensor t(ElementKind::F32, s.shape);
    std::memcpy(t.data(), inputs[i], t.bytes.size());
    hostInputs.push_back(std::move(t));
  }
  // Diagnostics during the call (none expected) are not printed.
  ScopedDiagnosticHandler quiet(model->context.get(),
                                [](Diagnostic &) { return success(); });
  auto results = model->compiled->run(hostInputs);
  if (!results) {
    setError(error, llvm::toString(results.takeError()));
    return 1;
  }
  if (results->size() != outSpecs.size()) {
    setError(error, "prune_opt_run: the model returned " +
                        std::to_string(results->size()) + " results, not " +
                        std::to_string(outSpecs.size()));
    return 1;
  }
  for (auto [i, r] : llvm::enumerate(*results)) {
    if (!outputs[i]) {
      setError(error,
               "prune_opt_run: output " + std::to_string(i) + " is NULL");
      return 1;
    }
    HostTensor f = r.kind == ElementKind::F32 ? std::move(r)
                                              : r.convertTo(ElementKind::F32);
    std::memcpy(outputs[i], f.data(), f.bytes.size());
  }
  return 0;
}

void prune_opt_free(prune_opt_model *model) { delete model; }

void prune_opt_free_string(char *string) { std::free(string); }

const char *prune_opt_version(void) { return PRUNE_OPT_VERSION; }
