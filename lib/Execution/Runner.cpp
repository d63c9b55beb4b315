//===- Runner.cpp - Compile and call MLIR modules -------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/Runner.h"

#include "prune-opt/Pipelines/Pipelines.h"
#include "prune-opt/Runtime/Kernels.h"
#include "prune-opt/Utils/ExternalWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Memory.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

using namespace mlir;
using namespace mlir::prune;
using llvm::Expected;

static llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string TensorSpec::str() const {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + elementKindName(kind).str();
}

static Expected<TensorSpec> specOf(Type type, const llvm::Twine &what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  if (!tensor || !tensor.hasStaticShape())
    return fail(what + " has type " + s +
                "; only statically shaped ranked tensors are supported");
  Type elt = tensor.getElementType();
  TensorSpec spec;
  if (elt.isF32())
    spec.kind = ElementKind::F32;
  else if (elt.isF64())
    spec.kind = ElementKind::F64;
  else if (elt.isF16())
    spec.kind = ElementKind::F16;
  else if (elt.isBF16())
    spec.kind = ElementKind::BF16;
  else if (elt.isInteger(8))
    spec.kind = ElementKind::I8;
  else if (elt.isInteger(32))
    spec.kind = ElementKind::I32;
  else if (elt.isInteger(64))
    spec.kind = ElementKind::I64;
  else
    return fail(what + " has type " + s +
                "; supported element types: f32, f64, f16, bf16, i8, i32, "
                "i64");
  spec.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return spec;
}

CompiledModel::~CompiledModel() {
  engine.reset(); // (before its files go)
  deleteWeightFiles(ownedWeightFiles);
}

/// The directory of the libPruneOptKernels.so this process has loaded (the
/// library is linked in): an installed copy works without the build tree.
/// Falls back to the build tree's directory.
static std::string kernelsDir() {
  Dl_info info;
  if (::dladdr(reinterpret_cast<void *>(&prune_kernels_get_num_threads),
               &info) &&
      info.dli_fname && info.dli_fname[0] == '/')
    return llvm::sys::path::parent_path(info.dli_fname).str();
  return PRUNE_OPT_KERNELS_DIR;
}

/// Builds a shared library from the LLVM-dialect module with clang-22 and
/// returns the address of `symbol` in it.
static Expected<void *> buildAndLoad(ModuleOp module, StringRef symbol,
                                     StringRef extraLib) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return fail("translating the lowered module to LLVM IR failed");
  llvm::SmallString<128> irPath, soPath;
  if (auto ec = llvm::sys::fs::createTemporaryFile("prune-run", "ll", irPath))
    return fail("cannot create a temporary file: " + ec.message());
  if (auto ec = llvm::sys::fs::createTemporaryFile("prune-run", "so", soPath))
    return fail("cannot create a temporary file: " + ec.message());
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(irPath, ec);
    if (ec)
      return fail("cannot write " + irPath + ": " + ec.message());
    llvmModule->print(os, nullptr);
  }
  auto clang = llvm::sys::findProgramByName("clang-22");
  if (!clang)
    clang = llvm::sys::findProgramByName("clang", {"/usr/lib/llvm-22/bin"});
  if (!clang)
    return fail("AOT mode needs clang-22 on PATH");
  std::string err;
  std::string kernels = kernelsDir();
  std::string kernelsL = "-L" + kernels, kernelsRpath = "-Wl,-rpath," + kernels;
  // -Bsymbolic: calls inside the library bind to its own functions, not to
  // a same-named function of another model loaded earlier.
  llvm::SmallVector<StringRef> args = {*clang,
                                       "-O3",
                                       "-march=native",
                                       "-shared",
                                       "-fPIC",
                                       "-w",
                                       "-Wl,-Bsymbolic",
                                       irPath,
                                       "-o",
                                       soPath,
                                       "-lm",
                                       "-L" PRUNE_OPT_LLVM_LIB_DIR,
                                       "-Wl,-rpath," PRUNE_OPT_LLVM_LIB_DIR,
                                       "-lmlir_c_runner_utils",
                                       "-lmlir_runner_utils",
                                       kernelsL,
                                       kernelsRpath,
                                       "-lPruneOptKernels"};
  if (!extraLib.empty())
    args.push_back(extraLib);
  int rc =
      llvm::sys::ExecuteAndWait(*clang, args, std::nullopt, {}, 0, 0, &err);
  llvm::sys::fs::remove(irPath);
  if (rc != 0) {
    llvm::sys::fs::remove(soPath);
    return fail("clang-22 failed to build the model library" +
                (err.empty() ? "" : ": " + err));
  }
  // RTLD_LOCAL: every model keeps its own symbols.
  void *lib = ::dlopen(soPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  llvm::sys::fs::remove(soPath); // stays mapped
  if (!lib)
    return fail(llvm::Twine("cannot load the model library: ") + ::dlerror());
  void *addr = ::dlsym(lib, symbol.str().c_str());
  if (!addr)
    return fail("symbol '" + symbol + "' not found in the model library");
  return addr;
}

namespace {
/// The JIT's memory for data sections: those of 2 MiB or more start on a
/// 2 MiB boundary and ask for transparent huge pages (MADV_HUGEPAGE), so
/// that a kernel streaming a packed weight from DRAM walks one page table
/// entry per 2 MiB instead of per 4 KiB. On a Zen 5 with 4 KiB pages a
/// 4096x4096 i8 csr-window weight at 90 % (3.8 MB) took 133-153 us per
/// call from DRAM and 120-135 with its pages' translations cached (one
/// byte per page read first); docs/Results.md. Code, smaller sections and
/// other systems take LLVM's default mapping. Where the kernel does not
/// give huge pages (THP "never"), the pages stay 4 KiB and nothing else
/// changes.
class HugePageDataMapper final
    : public llvm::SectionMemoryManager::MemoryMapper {
public:
  static constexpr size_t kHugePage = size_t(2) << 20;

  llvm::sys::MemoryBlock
  allocateMappedMemory(llvm::SectionMemoryManager::AllocationPurpose purpose,
                       size_t bytes, const llvm::sys::MemoryBlock *near,
                       unsigned flags, std::error_code &ec) override {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (purpose != llvm::SectionMemoryManager::AllocationPurpose::Code &&
        bytes >= kHugePage) {
      const size_t page = llvm::sys::Process::getPageSizeEstimate();
      const size_t size = llvm::alignTo(bytes, page);
      // Over-allocate by 2 MiB, keep the aligned part, unmap the rest.
      void *raw = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (raw != MAP_FAILED) {
        const uintptr_t begin = reinterpret_cast<uintptr_t>(raw),
                        start = llvm::alignTo(begin, kHugePage),
                        end = begin + size + kHugePage;
        if (start > begin)
          ::munmap(raw, start - begin);
        if (end > start + size)
          ::munmap(reinterpret_cast<void *>(start + size),
                   end - (start + size));
        // Advice only: without THP the mapping works as it is.
        (void)::madvise(reinterpret_cast<void *>(start), size, MADV_HUGEPAGE);
        ec = std::error_code();
        return llvm::sys::MemoryBlock(reinterpret_cast<void *>(start), size);
      }
    }
#endif
    return llvm::sys::Memory::allocateMappedMemory(bytes, near, flags, ec);
  }

  std::error_code protectMappedMemory(const llvm::sys::MemoryBlock &block,
                                      unsigned flags) override {
    return llvm::sys::Memory::protectMappedMemory(block, flags);
  }

  std::error_code releaseMappedMemory(llvm::sys::MemoryBlock &block) override {
    return llvm::sys::Memory::releaseMappedMemory(block);
  }
};
} // namespace

llvm::SectionMemoryManager::MemoryMapper &mlir::prune::jitSectionMapper() {
  // Stateless, and outlives every engine.
  static HugePageDataMapper mapper;
  return mapper;
}

/// Bytes of the constant data in the lowered module: every constant
/// `llvm.mlir.global` with an elements initializer (weights as the kernels
/// packed them, sparse arrays, biases, other constant tensors; a splat
/// counts one element).
static int64_t constantGlobalBytes(ModuleOp module) {
  int64_t bytes = 0;
  module.walk([&](LLVM::GlobalOp op) {
    if (!op.getConstant())
      return;
    auto attr = dyn_cast_or_null<ElementsAttr>(op.getValueOrNull());
    if (!attr)
      return;
    Type elt = attr.getElementType();
    int64_t bits = elt.isIndex() ? 64 : elt.getIntOrFloatBitWidth();
    // A splat is a fill the lowering materialized (a pooling's zero init),
    // not a parameter: one value.
    bytes += (attr.isSplat() ? 1 : attr.getNumElements()) * ((bits + 7) / 8);
  });
  // Weights loaded from files at run time (nn-external-weight-loads
  // records their bytes on the module).
  if (auto loaded = module->getAttrOfType<IntegerAttr>(
          "nn.external_weight_bytes"))
    bytes += loaded.getInt();
  return bytes;
}

/// The GPU runtime library of `device` ("" for the CPU).
static std::string gpuRuntimeLib(Device device) {
  switch (device) {
  case Device::Cpu:
    return "";
  case Device::Gpu:
    return kernelsDir() + "/libPruneOptGpu.so";
  case Device::GpuEmulation:
    return kernelsDir() + "/libPruneOptGpuEmu.so";
  }
  return "";
}

Expected<std::unique_ptr<CompiledModel>>
CompiledModel::compile(ModuleOp module, StringRef entry, StringRef pipeline,
                       CompileMode mode, int32_t vectorLength, Device device) {
  std::string gpuLib = gpuRuntimeLib(device);
  if (!gpuLib.empty() && !llvm::sys::fs::exists(gpuLib))
    return fail(gpuLib + " does not exist" +
                (device == Device::Gpu
                     ? " (it is built only where CMake finds a CUDA "
                       "toolkit; --device=gpu-emulation runs the GPU "
                       "path's kernels on the host)"
                     : ""));
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  model->entry = entry.str();
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return fail("no function named '" + entry + "' with a body in the module");
  if (!func.isPublic())
    return fail("function '" + entry + "' is not public");
  for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
    auto spec = specOf(t, "argument #" + llvm::Twine(i));
    if (!spec)
      return spec.takeError();
    model->inSpecs.push_back(*spec);
  }
  for (auto [i, t] : llvm::enumerate(func.getResultTypes())) {
    auto spec = specOf(t, "result #" + llvm::Twine(i));
    if (!spec)
      return spec.takeError();
    model->outSpecs.push_back(*spec);
  }

  OwningOpRef<ModuleOp> clone(module.clone());
  // The files the passes below write for the clone (a model with external
  // weights gets its packed weights in a new file) belong to the model:
  // deleted with it, also when compiling fails (calibration left one
  // 134 MB file per run of a 4096x4096 layer behind).
  CompiledModel *owner = model.get();
  llvm::scope_exit takeFiles(
      [&] { owner->ownedWeightFiles = takeCreatedWeightFiles(*clone); });
  MLIRContext *ctx = module.getContext();
  std::string diag;
  llvm::raw_string_ostream diagOs(diag);
  // A pipeline that ends with its own nn-lower-cpu{...} (e.g. kernels=0)
  // or nn-lower-gpu{...} replaces the default lowering.
  StringRef prefix = pipeline, lowering;
  size_t cpuAt = pipeline.rfind("nn-lower-cpu"),
         gpuAt = pipeline.rfind("nn-lower-gpu");
  if (gpuAt != StringRef::npos &&
      pipeline.drop_front(gpuAt).starts_with("nn-lower-gpu-calls"))
    gpuAt = StringRef::npos; // (a pass of the lowering, not the lowering)
  size_t at = cpuAt == StringRef::npos   ? gpuAt
              : gpuAt == StringRef::npos ? cpuAt
                                         : std::max(cpuAt, gpuAt);
  if (at != StringRef::npos) {
    prefix = pipeline.take_front(at).rtrim(", ");
    lowering = pipeline.drop_front(at);
  }
  if (!prefix.empty()) {
    // Anchored on the module: a function pass named at the top level
    // (nn-dense-loop-order, not func.func(nn-dense-loop-order)) is a bad
    // pipeline, not a failure on the module at run time.
    PassManager pm(ctx, ModuleOp::getOperationName());
    if (failed(parsePassPipeline(prefix, pm, diagOs)))
      return fail("bad pipeline '" + pipeline + "': " + diag);
    if (failed(pm.run(*clone)))
      return fail("pipeline '" + pipeline + "' failed (see diagnostics above)");
  }
  PassManager lower(ctx);
  // (The GPU lowering's pieces: the gpu.module's target and its
  // translation to LLVM IR, the gpu.binary's launches.)
  DialectRegistry gpuRegistry;
  registerGPUDialectTranslation(gpuRegistry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(gpuRegistry);
  ctx->appendDialectRegistry(gpuRegistry);
  if (lowering.empty() && device == Device::Cpu) {
    LowerCpuOptions lowerOptions;
    if (vectorLength >= 0)
      lowerOptions.vectorLength = vectorLength;
    buildLowerCpuPipeline(lower, lowerOptions);
  } else if (lowering.empty()) {
    LowerGpuOptions lowerOptions;
    if (vectorLength >= 0)
      lowerOptions.vectorLength = vectorLength;
    buildLowerGpuPipeline(lower, lowerOptions);
  } else if (failed(parsePassPipeline(lowering, lower, diagOs))) {
    return fail("bad pipeline '" + pipeline + "': " + diag);
  }
  if (failed(lower.run(*clone)))
    return fail("lowering the module failed (see diagnostics above)");
  model->paramBytes = constantGlobalBytes(*clone);

  static bool targetInit = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)targetInit;
  registerBuiltinDialectTranslation(*ctx);
  registerLLVMDialectTranslation(*ctx);

  if (!gpuLib.empty()) {
    // Loaded now, so that the model's mgpu* calls bind to it and its
    // errors can be read after each call.
    void *lib = ::dlopen(gpuLib.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!lib)
      return fail(llvm::Twine("cannot load ") + gpuLib + ": " + ::dlerror());
    model->takeGpuError = reinterpret_cast<const char *(*)()>(
        ::dlsym(lib, "prune_gpu_take_model_error"));
    if (!model->takeGpuError)
      return fail("no prune_gpu_take_model_error in " + gpuLib);
  }
  if (mode == CompileMode::AOT) {
    auto addr = buildAndLoad(*clone, "_mlir_ciface_" + model->entry, gpuLib);
    if (!addr)
      return addr.takeError();
    model->ciface = *addr;
    return model;
  }
  // The optimizer needs the host target machine: without it LLVM's cost
  // models assume no vector unit and nothing is vectorized (measured: the
  // dense MNIST MLP ran 8x slower than the same code built with clang).
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  tmBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto targetMachine = tmBuilder->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();
  ExecutionEngineOptions options;
  options.sectionMemoryMapper = &jitSectionMapper();
  // (function_ref: the transformer must outlive create().)
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(3, 0, targetMachine->get());
  options.transformer = transformer;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // MLIR's runner utilities (printMemrefF32, ...) so modules that print run
  // too, as under mlir-runner.
  std::vector<StringRef> libs;
  // And the kernels nn-lower-kernels calls (found where this process loaded
  // them: a host that loaded us with RTLD_LOCAL, e.g. Python's ctypes, does
  // not make them visible to the JIT's process-symbol lookup).
  std::string kernelsLib = kernelsDir() + "/libPruneOptKernels.so";
  for (StringRef lib :
       {StringRef(PRUNE_OPT_LLVM_LIB_DIR "/libmlir_runner_utils.so"),
        StringRef(PRUNE_OPT_LLVM_LIB_DIR "/libmlir_c_runner_utils.so"),
        StringRef(kernelsLib), StringRef(gpuLib)})
    if (!lib.empty() && llvm::sys::fs::exists(lib))
      libs.push_back(lib);
  options.sharedLibPaths = libs;
  auto engine =
      ExecutionEngine::create(*clone, options, std::move(*targetMachine));
  if (!engine)
    return engine.takeError();
  model->engine = std::move(*engine);
  // Runs the global constructors: a GPU model loads its gpu.binary there
  // (mgpuModuleLoad); MLIR 22's engine does not run them by itself.
  model->engine->initialize();
  auto fn = model->engine->lookupPacked("_mlir_ciface_" + model->entry);
  if (!fn)
    return fn.takeError();
  model->packed = *fn;
  return model;
}

/// Calls a C function taking `args.size()` pointers.
static llvm::Error callWithPointers(void *fn, std::vector<void *> &a) {
  using P = void *;
  switch (a.size()) {
#define PRUNE_CALL(N, ...)                                                     \
  case N:                                                                      \
    reinterpret_cast<void (*)(__VA_ARGS__)>(fn)
    PRUNE_CALL(1, P)(a[0]);
    return llvm::Error::success();
    PRUNE_CALL(2, P, P)(a[0], a[1]);
    return llvm::Error::success();
    PRUNE_CALL(3, P, P, P)(a[0], a[1], a[2]);
    return llvm::Error::success();
    PRUNE_CALL(4, P, P, P, P)(a[0], a[1], a[2], a[3]);
    return llvm::Error::success();
    PRUNE_CALL(5, P, P, P, P, P)(a[0], a[1], a[2], a[3], a[4]);
    return llvm::Error::success();
    PRUNE_CALL(6, P, P, P, P, P, P)(a[0], a[1], a[2], a[3], a[4], a[5]);
    return llvm::Error::success();
    PRUNE_CALL(7, P, P, P, P, P, P, P)
    (a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    return llvm::Error::success();
    PRUNE_CALL(8, P, P, P, P, P, P, P, P)
    (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    return llvm::Error::success();
#undef PRUNE_CALL
  default:
    return fail("AOT mode supports up to 8 memref arguments plus results");
  }
}

Expected<CompiledModel::Call>
CompiledModel::prepare(llvm::ArrayRef<HostTensor> inputs) {
  if (inputs.size() != inSpecs.size())
    return fail("'" + entry + "' takes " + llvm::Twine(inSpecs.size()) +
                " inputs, got " + llvm::Twine(inputs.size()));
  Call c;
  c.model = this;
  // Converted copies where the element kind differs.
  c.converted.reserve(inputs.size());
  std::vector<const HostTensor *> args;
  for (auto [i, in] : llvm::enumerate(inputs)) {
    if (in.shape != inSpecs[i].shape)
      return fail("input #" + llvm::Twine(i) + " of '" + entry + "' must be " +
                  inSpecs[i].str());
    if (in.kind != inSpecs[i].kind) {
      c.converted.push_back(in.convertTo(inSpecs[i].kind));
      args.push_back(&c.converted.back());
    } else {
      args.push_back(&in);
    }
  }
  // Memref descriptors {allocated, aligned, offset, sizes[R], strides[R]},
  // 8-byte fields. Results come first: one descriptor, or a struct of them.
  for (const TensorSpec &spec : outSpecs) {
    c.resultOffsets.push_back(c.resultWords.size());
    c.resultWords.resize(c.resultWords.size() + 3 + 2 * spec.shape.size(), 0);
  }
  for (const HostTensor *in : args) {
    size_t rank = in->shape.size();
    std::vector<int64_t> d(3 + 2 * rank, 0);
    d[0] = d[1] = reinterpret_cast<int64_t>(in->data());
    int64_t stride = 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      d[3 + i] = in->shape[i];
      d[3 + rank + i] = stride;
      stride *= in->shape[i];
    }
    c.inDescs.push_back(std::move(d));
  }
  // (The vectors' heap buffers stay where they are when the Call moves.)
  if (!outSpecs.empty())
    c.pointers.push_back(c.resultWords.data());
  for (auto &d : c.inDescs)
    c.pointers.push_back(d.data());
  for (void *&p : c.pointers)
    c.packedArgs.push_back(&p);
  return c;
}

llvm::Error CompiledModel::Call::call() {
  if (model->packed)
    model->packed(packedArgs.data());
  else if (auto err = callWithPointers(model->ciface, pointers))
    return err;
  if (model->takeGpuError)
    if (const char *error = model->takeGpuError(); error && *error) {
      freeResults();
      return fail(llvm::Twine("the model's GPU calls failed: ") + error);
    }
  return llvm::Error::success();
}

void CompiledModel::Call::freeResults() {
  // Results are owned by the caller: the deallocation pipeline gives public
  // functions malloc'ed results, copying constants and arguments
  // (test/Tools/prune-run.test); two results may share one allocation.
  // (A linear search: results are few, and this stays off the heap.)
  llvm::SmallVector<void *, 8> freed;
  for (size_t offset : resultOffsets) {
    void *allocated = reinterpret_cast<void *>(resultWords[offset]);
    if (llvm::is_contained(freed, allocated))
      continue;
    std::free(allocated);
    freed.push_back(allocated);
  }
}

llvm::Error CompiledModel::Call::invoke() {
  if (auto err = call())
    return err;
  freeResults();
  return llvm::Error::success();
}

Expected<std::vector<HostTensor>>
CompiledModel::run(llvm::ArrayRef<HostTensor> inputs) {
  auto c = prepare(inputs);
  if (!c)
    return c.takeError();
  if (auto err = c->call())
    return std::move(err);
  const std::vector<int64_t> &resultWords = c->resultWords;
  const std::vector<size_t> &resultOffsets = c->resultOffsets;
  std::vector<HostTensor> outputs;
  for (auto [r, spec] : llvm::enumerate(outSpecs)) {
    const int64_t *w = resultWords.data() + resultOffsets[r];
    size_t esz = elementSize(spec.kind);
    const uint8_t *base = reinterpret_cast<const uint8_t *>(w[1]) + w[2] * esz;
    HostTensor out(spec.kind, spec.shape);
    size_t rank = spec.shape.size();
    // Row-major results (the usual case) are one copy; others go element
    // by element (an element-wise copy of a 4096x32 result took ~0.5 ms,
    // more than the sparse layer that produced it).
    bool contiguous = true;
    for (int64_t i = rank - 1, stride = 1; i >= 0; stride *= spec.shape[i--])
      contiguous &= spec.shape[i] == 1 || w[3 + rank + i] == stride;
    if (out.bytes.empty()) {
      // (No elements: nothing to copy, and the pointers may be null.)
    } else if (contiguous) {
      std::memcpy(out.bytes.data(), base, out.numElements() * esz);
    } else {
      std::vector<int64_t> idx(rank, 0);
      for (int64_t linear = 0, e = out.numElements(); linear < e; ++linear) {
        int64_t off = 0;
        for (size_t i = 0; i < rank; ++i)
          off += idx[i] * w[3 + rank + i];
        std::memcpy(out.bytes.data() + linear * esz, base + off * esz, esz);
        for (int64_t i = rank - 1; i >= 0; --i) {
          if (++idx[i] < spec.shape[i])
            break;
          idx[i] = 0;
        }
      }
    }
    outputs.push_back(std::move(out));
  }
  c->freeResults();
  return outputs;
}
