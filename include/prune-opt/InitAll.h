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

/// Registers prune-opt's own dialect (`prune`: the attributes its passes
/// write), so that pruned models parse.
void registerPruneOptDialects(DialectRegistry &registry);

/// Registers prune-opt's passes and pipelines with the global registry, and
/// upstream's passes (mlir::registerAllPasses()) unless the host registered
/// them already: nn-lower-cpu names upstream passes, so this call alone makes
/// every prune-opt pass and pipeline usable. Safe to call more than once.
void registerAllPruneOptPasses();

} // namespace prune
} // namespace mlir

#endif // PRUNE_OPT_INITALL_H
