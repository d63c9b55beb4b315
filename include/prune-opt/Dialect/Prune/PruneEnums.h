//===- PruneEnums.h - Enums of the prune dialect ----------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Criterion, Refit, Scope, PrunePattern, BatchRegime and Target with their
// stringify/symbolize functions, generated from PruneEnums.td. Plain C++
// over LLVM's ADT: the Criteria and Layout libraries use them without
// MLIR IR.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_DIALECT_PRUNE_PRUNEENUMS_H
#define PRUNE_OPT_DIALECT_PRUNE_PRUNEENUMS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Support/LLVM.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <optional>

#include "prune-opt/Dialect/Prune/PruneEnums.h.inc"

#endif // PRUNE_OPT_DIALECT_PRUNE_PRUNEENUMS_H
