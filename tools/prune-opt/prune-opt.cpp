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

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

namespace mlir::prune::test {
void registerTestPasses();
} // namespace mlir::prune::test

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  mlir::registerAllPasses();
  mlir::prune::test::registerTestPasses();
  mlir::prune::registerAllPruneOptPasses();
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
  if (mlir::failed(mlir::MlirOptMain(output->os(), std::move(input), registry,
                                     config))) {
    output->discard();
    return 1;
  }
  if (llvm::Error err = output->commit()) {
    llvm::WithColor::error(llvm::errs(), "prune-opt")
        << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}
