//===- consumer-opt.cpp - An opt-like tool built on installed prune-opt ---===//
//
// consumer-opt MODEL PIPELINE: parses MODEL, runs PIPELINE (textual, e.g.
// "builtin.module(nn-prune{sparsity=0.8},nn-sparsify,nn-lower-cpu)") and
// prints the result. Only prune-opt's registration calls: no
// mlir::registerAllPasses(). Every failure is an error message and exit
// status 1, never an abort.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    llvm::errs() << "usage: consumer-opt MODEL PIPELINE\n";
    return 1;
  }
  mlir::prune::registerAllPruneOptPasses();
  mlir::DialectRegistry registry;
  mlir::prune::registerAllUpstream(registry);
  mlir::prune::registerPruneOptDialects(registry);
  mlir::MLIRContext context(registry);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(argv[1], &context);
  if (!module) {
    llvm::errs() << "consumer-opt: cannot parse " << argv[1] << "\n";
    return 1;
  }
  // "builtin.module(a,b)" or just "a,b" (run on the module).
  std::string error;
  llvm::raw_string_ostream os(error);
  mlir::FailureOr<mlir::OpPassManager> parsed =
      mlir::parsePassPipeline(argv[2], os);
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  if (mlir::succeeded(parsed) &&
      parsed->getOpAnchorName() == "builtin.module") {
    static_cast<mlir::OpPassManager &>(pm) = std::move(*parsed);
  } else {
    error.clear();
    if (mlir::failed(mlir::parsePassPipeline(argv[2], pm, os))) {
      llvm::errs() << "consumer-opt: bad pipeline: " << error << "\n";
      return 1;
    }
  }
  if (mlir::failed(pm.run(*module))) {
    llvm::errs() << "consumer-opt: the pipeline failed\n";
    return 1;
  }
  module->print(llvm::outs());
  llvm::outs() << "\n";
  return 0;
}
