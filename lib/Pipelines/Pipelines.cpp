//===- Pipelines.cpp - prune-opt pass pipelines ---------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Pipelines/Pipelines.h"

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/SparseTensor/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::prune;

namespace {
/// Stands in for a pipeline that cannot be built (bad options, passes that
/// are not registered): the run fails with `message` on the module instead
/// of the builder aborting the host process.
struct PipelineErrorPass
    : public PassWrapper<PipelineErrorPass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PipelineErrorPass)
  explicit PipelineErrorPass(std::string message)
      : message(std::move(message)) {}
  StringRef getArgument() const override { return "nn-pipeline-error"; }
  void runOnOperation() override {
    emitError(getOperation()->getLoc()) << message;
    signalPassFailure();
  }
  std::string message;
};
} // namespace

/// Checks the options of nn-lower-cpu; returns the error message, if any.
static std::string checkLowerCpuOptions(const LowerCpuOptions &options,
                                        StringRef pipeline) {
  int32_t vl = options.vectorLength;
  if (vl < 0 || (vl & (vl - 1)) != 0)
    return llvm::formatv("{0}: option 'vl' must be 0 (scalar) or a "
                         "power of two, got {1}",
                         pipeline, vl);
  if (options.stackBufferBytes < 0 || options.stackBufferBytes > (1 << 24))
    return llvm::formatv("{0}: option 'stack-buffer-bytes' must be in "
                         "[0, 16777216], got {1}",
                         pipeline, int64_t(options.stackBufferBytes));
  return "";
}

/// TOSA to linalg, arith and tensor; tosa.const becomes arith.constant with
/// its prune.decision / nn.calib attributes before upstream's tosa-to-arith (which
/// would drop them) runs.
static constexpr const char *kTosaToLinalg =
    "func.func(tosa-to-linalg-named,tosa-to-linalg,nn-tosa-consts-to-arith,"
    "tosa-to-arith,tosa-to-tensor)";

void mlir::prune::buildTosaToLinalgPipeline(OpPassManager &pm) {
  std::string why;
  llvm::raw_string_ostream os(why);
  if (failed(parsePassPipeline(kTosaToLinalg, pm, os)))
    pm.addPass(std::make_unique<PipelineErrorPass>(
        "nn-tosa-to-linalg: cannot build the pipeline (are upstream's passes "
        "registered? mlir::registerAllPasses()): " +
        StringRef(why).trim().str()));
}

/// What nn-lower-gpu adds to nn-lower-cpu's steps.
struct GpuLowering {
  std::string chip, binaryFormat, toolkit, bitcode, sparseTensorCores;
  int64_t blockThreads;
};

/// Checks the options of nn-lower-gpu; returns the error message, if any.
static std::string checkLowerGpuOptions(const LowerGpuOptions &options) {
  if (options.chip != "sm_80" && options.chip != "sm_90")
    return llvm::formatv("nn-lower-gpu: option 'chip' must be sm_80 or sm_90, "
                         "got '{0}'",
                         options.chip.getValue());
  StringRef sptc = options.sparseTensorCores;
  if (sptc != "off" && sptc != "f16" && sptc != "bf16")
    return llvm::formatv("nn-lower-gpu: option 'sparse-tensor-cores' must be "
                         "off, f16 or bf16, got '{0}'",
                         sptc);
  StringRef format = options.binaryFormat;
  if (format != "isa" && format != "bin" && format != "fatbin")
    return llvm::formatv("nn-lower-gpu: option 'format' must be isa, bin or "
                         "fatbin, got '{0}'",
                         format);
  // (Checked here: MLIR 22's gpu-module-to-binary reports a missing
  // toolkit as an error but goes on with any ptxas on PATH, and succeeds.)
  SmallString<256> ptxas(options.toolkit.getValue());
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  if (format != "isa" && !llvm::sys::fs::can_execute(ptxas))
    return llvm::formatv("nn-lower-gpu: format={0} needs the CUDA toolkit's "
                         "ptxas, not found at {1} (option toolkit=DIR; "
                         "format=isa needs none)",
                         format, ptxas);
  return "";
}

static void buildLowering(OpPassManager &pm, const LowerCpuOptions &options,
                          const GpuLowering *gpu) {
  const char *name = gpu ? "nn-lower-gpu" : "nn-lower-cpu";
  if (std::string error = checkLowerCpuOptions(options, name);
      !error.empty()) {
    pm.addPass(std::make_unique<PipelineErrorPass>(error));
    return;
  }
  // The pass list of upstream's `--sparsifier` (MLIR 22), without its
  // `linalg-fuse-elementwise-ops` step: fusing a ReLU written as
  // cmpf+select into a contraction with an assembled sparse operand makes
  // the sparsifier fail ("failed to legalize unresolved materialization ...
  // storage_specifier"; test/Upstream/sparsifier-fused-relu.mlir). Keeping
  // elementwise ops apart also keeps the sparse kernels pure contractions,
  // so nothing is recomputed per nonzero. Compressed arrays are assembled
  // from constants at compile time: no sparse runtime library.
  std::string vector =
      llvm::formatv("convert-vector-to-llvm{{force-32bit-vector-indices={0} "
                    "reassociate-fp-reductions={1}}",
                    options.enableIndexOptimizations ? "true" : "false",
                    options.reassociateFPReductions ? "true" : "false");
  bool broken = false;
  auto addText = [&](StringRef text) {
    if (broken)
      return;
    std::string why;
    llvm::raw_string_ostream os(why);
    if (succeeded(parsePassPipeline(text, pm, os)))
      return;
    broken = true;
    pm.addPass(std::make_unique<PipelineErrorPass>(
        std::string(name) +
        ": cannot build the pipeline (are upstream's passes "
        "registered? mlir::registerAllPasses()): " +
        StringRef(why).trim().str()));
  };
  // TOSA models are converted to linalg first (a no-op on other IR).
  addText(kTosaToLinalg);
  pm.addNestedPass<func::FuncOp>(createNNDropTensorDeallocs());
  pm.addNestedPass<func::FuncOp>(createNNExportCInterface());
  pm.addPass(createNNFoldWeightTransposes());
  if (options.kernels || gpu) {
    NNLowerKernelsOptions kernelOptions;
    kernelOptions.fuseEpilogue = options.fuseEpilogue;
    if (gpu) {
      kernelOptions.target = "gpu";
      kernelOptions.sparseTensorCores = gpu->sparseTensorCores;
    }
    pm.addPass(createNNLowerKernels(kernelOptions));
  }
  pm.addNestedPass<func::FuncOp>(createNNVectorizePooling());
  addText("func.func(linalg-generalize-named-ops)");
  pm.addNestedPass<func::FuncOp>(createNNDenseLoopOrder());
  pm.addNestedPass<func::FuncOp>(createNNFlattenElementwise());
  pm.addNestedPass<func::FuncOp>(createNNSplitEmptyTensors());
  pm.addNestedPass<func::FuncOp>(createNNUnitSliceStrides());
  // (The textual form of this pass cannot turn the runtime library off.)
  // Recurrent models yield a freshly computed state from scf.for; let the
  // loop return it in a new buffer instead of failing to bufferize
  // ("Yield operand #0 is not equivalent to the corresponding iter bbArg").
  bufferization::OneShotBufferizationOptions bufferizationOptions =
      getBufferizationOptionsForSparsification(/*analysisOnly=*/false);
  bufferizationOptions.allowReturnAllocsFromLoops = true;
  pm.addPass(createSparsificationAndBufferizationPass(
      bufferizationOptions,
      SparsificationOptions(SparseParallelizationStrategy::kNone,
                            SparseEmitStrategy::kFunctional,
                            /*enableRT=*/false),
      /*createSparseDeallocs=*/true, /*enableRuntimeLibrary=*/false,
      /*enableBufferInitialization=*/false, options.vectorLength,
      /*enableVLAVectorization=*/false,
      /*enableSIMDIndex32=*/options.enableIndexOptimizations,
      /*enableGPULibgen=*/false, SparseEmitStrategy::kFunctional,
      SparseParallelizationStrategy::kNone));
  // Small intermediates on the stack (before the deallocation pipeline,
  // which would free them): at batch 1 malloc and free are a measurable
  // part of a small model's time.
  if (options.stackBufferBytes > 0) {
    NNStackBuffersOptions stack;
    stack.maxFunctionBytes = options.stackBufferBytes;
    stack.maxBufferBytes =
        std::min<int64_t>(options.stackBufferBytes, kMaxStackBufferBytes);
    pm.addNestedPass<func::FuncOp>(createNNStackBuffers(stack));
  }
  // Free intermediate buffers: without this every call leaks its
  // temporaries (LeNet: ~70 KB per inference).
  addText("buffer-deallocation-pipeline,convert-bufferization-to-memref");
  // Weights in files (prune.weight_files) are mapped at run time: their
  // globals become calls to the kernel library (after the deallocation,
  // which would free what a call returns).
  // (With nn-lower-gpu the layer calls then copy them to the device once,
  // from the mapping.)
  pm.addPass(createNNExternalWeightLoads());
  if (gpu) {
    // The GPU layer calls get their bodies now (the deallocation above
    // rejects GPU ops), and the kernels become PTX (and a cubin): nothing
    // below touches the gpu.binary but gpu-to-llvm.
    NNLowerGpuCallsOptions callOptions;
    callOptions.chip = gpu->chip;
    callOptions.bitcode = gpu->bitcode;
    callOptions.blockThreads = gpu->blockThreads;
    pm.addPass(createNNLowerGpuCalls(callOptions));
    addText(llvm::formatv("gpu.module(convert-gpu-to-nvvm),"
                          "gpu-module-to-binary{{format={0} toolkit={1}}",
                          gpu->binaryFormat, gpu->toolkit)
                .str());
  }
  // Buffers are lowered to aligned_alloc (finalize-memref-to-llvm's
  // use-aligned-alloc) rather than convert-to-llvm's malloc plus
  // ptrtoint/inttoptr alignment arithmetic: LLVM knows an aligned_alloc
  // result aliases nothing, while the inttoptr pointer may alias the
  // function's arguments, which kept every short copy and elementwise loop
  // around the kernels scalar (LeNet's im2col patches: one load and one
  // store per float; test/Pipelines/nn-lower-cpu-alloc.mlir).
  std::string pipeline =
      llvm::formatv("sparse-storage-specifier-to-llvm,"
                    "func.func(canonicalize),"
                    "func.func(convert-linalg-to-loops),"
                    "func.func(convert-vector-to-scf),"
                    "func.func(expand-realloc),"
                    "func.func(convert-scf-to-cf),"
                    "expand-strided-metadata,"
                    "lower-affine,"
                    "{0},"
                    "func.func(convert-complex-to-standard),"
                    "func.func(arith-expand),"
                    "func.func(convert-math-to-llvm),"
                    "convert-math-to-libm,"
                    "convert-complex-to-libm,"
                    "{0},"
                    "finalize-memref-to-llvm{{use-aligned-alloc=1},"
                    "{1}convert-to-llvm,"
                    "reconcile-unrealized-casts",
                    vector, gpu ? "gpu-to-llvm," : "");
  addText(pipeline);
  if (!broken)
    pm.addPass(createNNZeroSizeGlobals());
}

void mlir::prune::buildLowerCpuPipeline(OpPassManager &pm,
                                        const LowerCpuOptions &options) {
  buildLowering(pm, options, nullptr);
}

void mlir::prune::buildLowerGpuPipeline(OpPassManager &pm,
                                        const LowerGpuOptions &options) {
  if (std::string error = checkLowerGpuOptions(options); !error.empty()) {
    pm.addPass(std::make_unique<PipelineErrorPass>(error));
    return;
  }
  LowerCpuOptions cpu;
  cpu.vectorLength = options.vectorLength;
  cpu.fuseEpilogue = options.fuseEpilogue;
  // (Host buffers stay on the heap: not measured on a device yet.)
  cpu.stackBufferBytes = 0;
  GpuLowering gpu{options.chip, options.binaryFormat, options.toolkit,
                  options.bitcode, options.sparseTensorCores,
                  options.blockThreads};
  buildLowering(pm, cpu, &gpu);
}

void mlir::prune::registerPipelines() {
  PassPipelineRegistration<>(
      "nn-tosa-to-linalg",
      "Convert a TOSA model to linalg on tensors (upstream's tosa-to-linalg-"
      "named, tosa-to-linalg, tosa-to-arith, tosa-to-tensor), keeping the "
      "#prune.decision attributes of weights pruned in TOSA form",
      buildTosaToLinalgPipeline);
  PassPipelineRegistration<LowerCpuOptions>(
      "nn-lower-cpu",
      "Lower a (pruned, sparsified) linalg-on-tensors module to the LLVM "
      "dialect for CPUs, public functions exported as _mlir_ciface_<name>",
      buildLowerCpuPipeline);
  PassPipelineRegistration<LowerGpuOptions>(
      "nn-lower-gpu",
      "Lower a (pruned, sparsified) linalg-on-tensors module to the LLVM "
      "dialect with its fully connected layers on an NVIDIA GPU (kernels in "
      "a gpu.module compiled to PTX/cubin, weights resident; the rest on "
      "the host)",
      buildLowerGpuPipeline);
}
