//===- InitAll.cpp - Register everything prune-opt provides ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/InitAll.h"

#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Pipelines/Pipelines.h"
#include "prune-opt/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::prune::registerAllUpstream(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // As mlir-opt does: GPU pipelines need the translation interfaces.
  registerAllGPUToLLVMIRTranslations(registry);
}

void mlir::prune::registerPruneOptDialects(DialectRegistry &registry) {
  registry.insert<PruneDialect>();
}

/// Upstream passes and pipelines that nn-lower-cpu (and the textual
/// pipelines in the docs) name; if one is missing, upstream's passes were
/// not registered by the host.
static bool upstreamPassesRegistered() {
  for (const char *name : {"tosa-to-linalg",
                           "linalg-generalize-named-ops",
                           "buffer-deallocation-pipeline",
                           "convert-bufferization-to-memref",
                           "sparse-storage-specifier-to-llvm",
                           "canonicalize",
                           "convert-linalg-to-loops",
                           "convert-vector-to-scf",
                           "expand-realloc",
                           "convert-scf-to-cf",
                           "expand-strided-metadata",
                           "lower-affine",
                           "convert-vector-to-llvm",
                           "convert-complex-to-standard",
                           "arith-expand",
                           "convert-math-to-llvm",
                           "convert-math-to-libm",
                           "convert-complex-to-libm",
                           "convert-to-llvm",
                           "reconcile-unrealized-casts",
                           "symbol-privatize",
                           "symbol-dce"})
    if (!mlir::PassInfo::lookup(name) && !mlir::PassPipelineInfo::lookup(name))
      return false;
  return true;
}

void mlir::prune::registerAllPruneOptPasses() {
  // Idempotent: a host may call it more than once (a tool and a plugin).
  static const bool registered = [] {
    // nn-lower-cpu builds its pipeline from upstream passes by name: a host
    // that registers only prune-opt's passes must still get a working
    // lowering. (mlir-opt and prune-opt register them themselves first.)
    if (!upstreamPassesRegistered())
      registerAllPasses();
    registerPruneOptPasses();
    registerPipelines();
    return true;
  }();
  (void)registered;
}
