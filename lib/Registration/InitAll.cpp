//===- InitAll.cpp - Register everything prune-opt provides ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/InitAll.h"

#include "prune-opt/Pipelines/Pipelines.h"
#include "prune-opt/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::prune::registerAllUpstream(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // As mlir-opt does: GPU pipelines need the translation interfaces.
  registerAllGPUToLLVMIRTranslations(registry);
}

void mlir::prune::registerAllPruneOptPasses() {
  registerPruneOptPasses();
  registerPipelines();
}
