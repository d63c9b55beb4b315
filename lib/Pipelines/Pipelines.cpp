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
#include "llvm/Support/FormatVariadic.h"

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
static std::string checkLowerCpuOptions(const LowerCpuOptions &options) {
  int32_t vl = options.vectorLength;
  if (vl < 0 || (vl & (vl - 1)) != 0)
    return llvm::formatv("nn-lower-cpu: option 'vl' must be 0 (scalar) or a "
                         "power of two, got {0}",
                         vl);
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

void mlir::prune::buildLowerCpuPipeline(OpPassManager &pm,
                                        const LowerCpuOptions &options) {
  if (std::string error = checkLowerCpuOptions(options); !error.empty()) {
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
        "nn-lower-cpu: cannot build the pipeline (are upstream's passes "
        "registered? mlir::registerAllPasses()): " +
        StringRef(why).trim().str()));
  };
  // TOSA models are converted to linalg first (a no-op on other IR).
  addText(kTosaToLinalg);
  pm.addNestedPass<func::FuncOp>(createNNDropTensorDeallocs());
  pm.addNestedPass<func::FuncOp>(createNNExportCInterface());
  pm.addPass(createNNFoldWeightTransposes());
  if (options.kernels) {
    NNLowerKernelsOptions kernelOptions;
    kernelOptions.fuseEpilogue = options.fuseEpilogue;
    pm.addPass(createNNLowerKernels(kernelOptions));
  }
  addText("func.func(linalg-generalize-named-ops)");
  pm.addNestedPass<func::FuncOp>(createNNDenseLoopOrder());
  pm.addNestedPass<func::FuncOp>(createNNSplitEmptyTensors());
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
  // Free intermediate buffers: without this every call leaks its
  // temporaries (LeNet: ~70 KB per inference).
  addText("buffer-deallocation-pipeline,convert-bufferization-to-memref");
  std::string pipeline = llvm::formatv("sparse-storage-specifier-to-llvm,"
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
                                       "convert-to-llvm,"
                                       "reconcile-unrealized-casts",
                                       vector);
  addText(pipeline);
  if (!broken)
    pm.addPass(createNNZeroSizeGlobals());
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
}
