//===- Runner.cpp - Compile and call MLIR modules -------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/Runner.h"

#include "prune-opt/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::prune;
using llvm::Expected;

static llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static Expected<std::vector<int64_t>> staticF32Shape(Type type,
                                                     const llvm::Twine &what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  if (!tensor || !tensor.hasStaticShape())
    return fail(what + " has type " + s +
                "; only statically shaped ranked tensors are supported");
  if (!tensor.getElementType().isF32())
    return fail(what + " has type " + s + "; only f32 is supported");
  return std::vector<int64_t>(tensor.getShape().begin(),
                              tensor.getShape().end());
}

CompiledModel::~CompiledModel() = default;

Expected<std::unique_ptr<CompiledModel>>
CompiledModel::compile(ModuleOp module, StringRef entry, StringRef pipeline) {
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  model->entry = entry.str();
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return fail("no function named '" + entry + "' with a body in the module");
  if (!func.isPublic())
    return fail("function '" + entry + "' is not public");
  for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
    auto shape = staticF32Shape(t, "argument #" + llvm::Twine(i));
    if (!shape)
      return shape.takeError();
    model->inShapes.push_back(*shape);
  }
  for (auto [i, t] : llvm::enumerate(func.getResultTypes())) {
    auto shape = staticF32Shape(t, "result #" + llvm::Twine(i));
    if (!shape)
      return shape.takeError();
    model->outShapes.push_back(*shape);
  }

  OwningOpRef<ModuleOp> clone(module.clone());
  MLIRContext *ctx = module.getContext();
  PassManager pm(ctx);
  std::string diag;
  llvm::raw_string_ostream diagOs(diag);
  if (!pipeline.empty() && failed(parsePassPipeline(pipeline, pm, diagOs)))
    return fail("bad pipeline '" + pipeline + "': " + diag);
  buildLowerCpuPipeline(pm, LowerCpuOptions());
  if (failed(pm.run(*clone)))
    return fail("compiling the module failed (see diagnostics above)");

  static bool targetInit = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)targetInit;
  registerBuiltinDialectTranslation(*ctx);
  registerLLVMDialectTranslation(*ctx);

  ExecutionEngineOptions options;
  // (function_ref: the transformer must outlive create().)
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(3, 0, nullptr);
  options.transformer = transformer;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*clone, options);
  if (!engine)
    return engine.takeError();
  model->engine = std::move(*engine);
  auto fn = model->engine->lookupPacked("_mlir_ciface_" + model->entry);
  if (!fn)
    return fn.takeError();
  model->packed = *fn;
  return model;
}

namespace {
/// A memref descriptor of any rank: {allocated, aligned, offset,
/// sizes[rank], strides[rank]}, all 8-byte fields.
struct Descriptor {
  std::vector<int64_t> words;
  explicit Descriptor(size_t rank) : words(3 + 2 * rank, 0) {}
  static Descriptor forTensor(const HostTensor &t) {
    Descriptor d(t.shape.size());
    auto ptr = reinterpret_cast<int64_t>(t.data.data());
    d.words[0] = d.words[1] = ptr;
    int64_t stride = 1;
    for (int64_t i = t.shape.size() - 1; i >= 0; --i) {
      d.words[3 + i] = t.shape[i];
      d.words[3 + t.shape.size() + i] = stride;
      stride *= t.shape[i];
    }
    return d;
  }
};
} // namespace

Expected<std::vector<HostTensor>>
CompiledModel::run(llvm::ArrayRef<HostTensor> inputs) {
  if (inputs.size() != inShapes.size())
    return fail("'" + entry + "' takes " + llvm::Twine(inShapes.size()) +
                " inputs, got " + llvm::Twine(inputs.size()));
  for (auto [i, in] : llvm::enumerate(inputs))
    if (in.shape != inShapes[i] ||
        in.data.size() != static_cast<size_t>(in.numElements()))
      return fail("input #" + llvm::Twine(i) + " has the wrong shape for '" +
                  entry + "'");
  // Results: one descriptor, or a struct of descriptors, passed first.
  std::vector<int64_t> resultWords;
  std::vector<size_t> resultOffsets;
  for (const auto &shape : outShapes) {
    resultOffsets.push_back(resultWords.size());
    resultWords.resize(resultWords.size() + 3 + 2 * shape.size(), 0);
  }
  std::vector<Descriptor> inDescs;
  for (const HostTensor &in : inputs)
    inDescs.push_back(Descriptor::forTensor(in));
  std::vector<void *> pointers;
  if (!outShapes.empty())
    pointers.push_back(resultWords.data());
  for (Descriptor &d : inDescs)
    pointers.push_back(d.words.data());
  std::vector<void *> args;
  for (void *&p : pointers)
    args.push_back(&p);
  packed(args.data());

  std::vector<HostTensor> outputs;
  for (auto [r, shape] : llvm::enumerate(outShapes)) {
    const int64_t *w = resultWords.data() + resultOffsets[r];
    const float *base = reinterpret_cast<const float *>(w[1]) + w[2];
    HostTensor out;
    out.shape = shape;
    out.data.resize(out.numElements());
    size_t rank = shape.size();
    std::vector<int64_t> idx(rank, 0);
    for (size_t linear = 0; linear < out.data.size(); ++linear) {
      int64_t off = 0;
      for (size_t i = 0; i < rank; ++i)
        off += idx[i] * w[3 + rank + i];
      out.data[linear] = base[off];
      for (int64_t i = rank - 1; i >= 0; --i) {
        if (++idx[i] < shape[i])
          break;
        idx[i] = 0;
      }
    }
    outputs.push_back(std::move(out));
  }
  return outputs;
}
