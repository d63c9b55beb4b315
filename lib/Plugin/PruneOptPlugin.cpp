//===- PruneOptPlugin.cpp - prune-opt as an mlir-opt pass plugin ----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// `mlir-opt-22 --load-pass-plugin=PruneOptPlugin.so` registers every
// prune-opt pass and pipeline (nn-lower-cpu, ...) in the host's pass
// registry. The plugin links the MLIR dylib the host uses (one copy of
// MLIR in the process); prune-opt's own code is linked in statically and
// kept local to the plugin (only mlirGetPassPluginInfo and
// mlirGetDialectPluginInfo are exported). `--load-dialect-plugin=` with the
// same file registers the prune dialect.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK
    __attribute__((visibility("default"))) ::mlir::PassPluginLibraryInfo
    mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "PruneOpt", LLVM_VERSION_STRING,
          [] { mlir::prune::registerAllPruneOptPasses(); }};
}

/// `--load-dialect-plugin=PruneOptPlugin.so`: the prune dialect, so that the
/// host parses (and verifies) pruned models' #prune attributes.
extern "C" LLVM_ATTRIBUTE_WEAK
    __attribute__((visibility("default"))) ::mlir::DialectPluginLibraryInfo
    mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "PruneOpt", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::prune::registerPruneOptDialects(*registry);
          }};
}
