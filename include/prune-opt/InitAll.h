//===- InitAll.h - Register everything prune-opt provides -------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_INITALL_H
#define PRUNE_OPT_INITALL_H

namespace mlir {
class DialectRegistry;
namespace prune {

/// Registers every upstream dialect, extension and translation interface
/// that prune-opt's tools load (what mlir-opt registers).
void registerAllUpstream(DialectRegistry &registry);

/// Registers prune-opt's passes and pipelines with the global registry.
void registerAllPruneOptPasses();

} // namespace prune
} // namespace mlir

#endif // PRUNE_OPT_INITALL_H
