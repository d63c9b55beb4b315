//===- prune-opt.cpp - The prune-opt driver -------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with prune-opt's passes and pipelines added. Unlike stock
// mlir-opt, `-o FILE` never loses data: the output is staged and replaces
// FILE only when the whole run succeeded (a failed run leaves an existing
// FILE exactly as it was), and devices and symbolic links are written
// through, never replaced (Utils/SafeOutput.h).
//
//===----------------------------------------------------------------------===//

#include "prune-opt/InitAll.h"
#include "prune-opt/Utils/SafeOutput.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/ParseUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "prune-opt/Utils/ExternalWeights.h"
#include "prune-opt/Utils/WeightData.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

namespace mlir::prune::test {
void registerTestPasses();
} // namespace mlir::prune::test

/// Whether prune-opt runs `input` itself instead of through MlirOptMain.
/// MLIR 22's MlirOptMain builds a SourceMgrDiagnosticVerifierHandler even
/// without -verify-diagnostics, and its constructor scans the whole input
/// with regular expressions for `expected-*` comments: 17 s of a 35 s
/// parse-and-print of a 4 GB bytecode model (docs/Design.md, "Upstream
/// bugs"). Bytecode has no comments to find, so for bytecode input with the
/// plain options the steps are run here: parse, pass pipeline, print.
static bool runsDirectly(const mlir::MlirOptMainConfig &config,
                         const llvm::MemoryBuffer &input) {
  return mlir::isBytecode(input.getMemBufferRef()) &&
         !config.shouldVerifyDiagnostics() &&
         config.inputSplitMarker().empty() && !config.shouldRunReproducer() &&
         config.getReproducerFilename().empty() &&
         !config.shouldListPasses() && !config.shouldShowDialects() &&
         !config.shouldDumpPassPipeline() && config.getIrdlFile().empty() &&
         !config.shouldVerifyRoundtrip() && !config.shouldEmitRemarks();
}

/// The steps of MlirOptMain for one bytecode buffer (see runsDirectly).
static mlir::LogicalResult runDirectly(llvm::raw_ostream &os,
                                       std::unique_ptr<llvm::MemoryBuffer> input,
                                       mlir::DialectRegistry &registry,
                                       const mlir::MlirOptMainConfig &config) {
  mlir::MLIRContext context(registry);
  context.allowUnregisteredDialects(config.shouldAllowUnregisteredDialects());
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagnostics(*sourceMgr, &context);
  mlir::DefaultTimingManager tm;
  mlir::applyDefaultTimingManagerCLOptions(tm);
  mlir::TimingScope timing = tm.getRootScope();
  mlir::FallbackAsmResourceMap fallbackResources;
  mlir::ParserConfig parserConfig(&context, config.shouldVerifyOnParsing(),
                                  &fallbackResources);
  mlir::TimingScope parserTiming = timing.nest("Parser");
  mlir::OwningOpRef<mlir::Operation *> op = mlir::parseSourceFileForTool(
      sourceMgr, parserConfig, !config.shouldUseExplicitModule());
  parserTiming.stop();
  if (!op)
    return mlir::failure();
  mlir::PassManager pm(op.get()->getName(),
                       mlir::PassManager::Nesting::Implicit);
  pm.enableVerifier(config.shouldVerifyPasses());
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return mlir::failure();
  pm.enableTiming(timing);
  if (mlir::failed(config.setupPassPipeline(pm)) ||
      mlir::failed(pm.run(*op)))
    return mlir::failure();
  mlir::TimingScope outputTiming = timing.nest("Output");
  if (config.shouldEmitBytecode()) {
    mlir::BytecodeWriterConfig writerConfig(fallbackResources);
    if (std::optional<int64_t> version = config.bytecodeVersionToEmit())
      writerConfig.setDesiredBytecodeVersion(*version);
    if (config.shouldElideResourceDataFromBytecode())
      writerConfig.setElideResourceDataFlag();
    return mlir::writeBytecodeToFile(op.get(), os, writerConfig);
  }
  mlir::AsmState asmState(op.get(), mlir::OpPrintingFlags(),
                          /*locationMap=*/nullptr, &fallbackResources);
  op.get()->print(os, asmState);
  os << '\n';
  return mlir::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  mlir::registerAllPasses();
  mlir::prune::test::registerTestPasses();
  mlir::prune::registerAllPruneOptPasses();
  // Weight files nn-store-weights writes are committed with the output.
  mlir::prune::deferWeightFileCommits();
  mlir::DialectRegistry registry;
  mlir::prune::registerAllUpstream(registry);
  mlir::prune::registerPruneOptDialects(registry);
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "prune-opt: prune and sparsify neural-network weights\n",
      registry);

  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  // A bad pass option is reported by the option parser itself; upstream then
  // adds an error with an empty message and no location. Drop that one.
  mlir::MlirOptMainConfig inner = config;
  config.setPassPipelineSetupFn([inner](mlir::PassManager &pm) {
    mlir::ScopedDiagnosticHandler dropEmpty(
        pm.getContext(), [](mlir::Diagnostic &diag) {
          return mlir::success(diag.getSeverity() ==
                                   mlir::DiagnosticSeverity::Error &&
                               diag.str().empty());
        });
    return inner.setupPassPipeline(pm);
  });

  std::string message;
  std::unique_ptr<llvm::MemoryBuffer> input =
      mlir::openInputFile(inputFilename, &message);
  if (!input) {
    llvm::WithColor::error(llvm::errs(), "prune-opt") << message << "\n";
    return 1;
  }
  llvm::Expected<mlir::prune::SafeOutputFile> output =
      mlir::prune::SafeOutputFile::create(outputFilename);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "prune-opt")
        << llvm::toString(output.takeError()) << "\n";
    return 1;
  }
  if (mlir::failed(
          mlir::prune::checkResourceBlobAlignments(*input, llvm::errs())))
    return 1;
  bool direct = runsDirectly(config, *input);
  if (mlir::failed(direct ? runDirectly(output->os(), std::move(input),
                                        registry, config)
                          : mlir::MlirOptMain(output->os(), std::move(input),
                                              registry, config))) {
    output->discard();
    // Weight files the passes wrote for a module that is not written.
    mlir::prune::removeCreatedWeightFiles();
    mlir::prune::discardWeightFiles();
    return 1;
  }
  // The weight files first: the output refers to them.
  if (llvm::Error err = mlir::prune::commitWeightFiles()) {
    llvm::WithColor::error(llvm::errs(), "prune-opt")
        << llvm::toString(std::move(err)) << "\n";
    output->discard();
    mlir::prune::removeCreatedWeightFiles();
    return 1;
  }
  if (llvm::Error err = output->commit()) {
    llvm::WithColor::error(llvm::errs(), "prune-opt")
        << llvm::toString(std::move(err)) << "\n";
    mlir::prune::removeCreatedWeightFiles();
    return 1;
  }
  return 0;
}
