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

void mlir::prune::buildLowerCpuPipeline(OpPassManager &pm,
                                        const LowerCpuOptions &options) {
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
  auto addText = [&](StringRef text) {
    if (failed(parsePassPipeline(text, pm, llvm::errs())))
      llvm::report_fatal_error("nn-lower-cpu: malformed built-in pipeline");
  };
  pm.addPass(createNNExportCInterface());
  pm.addPass(createNNFoldWeightTransposes());
  if (options.kernels) {
    NNLowerKernelsOptions kernelOptions;
    kernelOptions.csrTiledBatch = options.csrTiledBatch;
    kernelOptions.fuseEpilogue = options.fuseEpilogue;
    pm.addPass(createNNLowerKernels(kernelOptions));
  }
  addText("func.func(linalg-generalize-named-ops)");
  pm.addPass(createNNDenseLoopOrder());
  pm.addPass(createNNSplitEmptyTensors());
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
}

void mlir::prune::registerPipelines() {
  PassPipelineRegistration<LowerCpuOptions>(
      "nn-lower-cpu",
      "Lower a (pruned, sparsified) linalg-on-tensors module to the LLVM "
      "dialect for CPUs, public functions exported as _mlir_ciface_<name>",
      buildLowerCpuPipeline);
}
