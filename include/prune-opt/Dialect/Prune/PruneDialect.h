//===- PruneDialect.h - The prune dialect -----------------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The typed IR contract between prune-opt's passes: #prune.decision and
// #prune.layout (PruneAttrs.td; docs/PruneDialect.md is generated from it).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_DIALECT_PRUNE_PRUNEDIALECT_H
#define PRUNE_OPT_DIALECT_PRUNE_PRUNEDIALECT_H

#include "prune-opt/Dialect/Prune/PruneEnums.h"
#include "prune-opt/Runtime/Kernels.h"

#include "llvm/ADT/APFloat.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpImplementation.h"

#include "prune-opt/Dialect/Prune/PruneDialect.h.inc"

namespace mlir::prune::detail {
FailureOr<llvm::APFloat> parseDouble(AsmParser &parser);
void printDouble(AsmPrinter &printer, const llvm::APFloat &value);
/// "[1, 2, 3]" (also "[]").
FailureOr<llvm::SmallVector<int64_t>> parseIntList(AsmParser &parser);
void printIntList(AsmPrinter &printer, llvm::ArrayRef<int64_t> values);
FailureOr<::pruneopt::kernels::Format> parseFormat(AsmParser &parser);
void printFormat(AsmPrinter &printer, ::pruneopt::kernels::Format format);
FailureOr<::pruneopt::kernels::ValueType> parseValueType(AsmParser &parser);
void printValueType(AsmPrinter &printer, ::pruneopt::kernels::ValueType type);
} // namespace mlir::prune::detail

#define GET_ATTRDEF_CLASSES
#include "prune-opt/Dialect/Prune/PruneAttrs.h.inc"

namespace mlir::prune {
/// The pruning decision of a weight constant / assembled sparse weight.
inline DecisionAttr getDecision(Operation *op) {
  return op->getAttrOfType<DecisionAttr>(PruneDialect::kDecisionAttrName);
}
/// The storage layout chosen for it by nn-sparsify.
inline LayoutAttr getLayout(Operation *op) {
  return op->getAttrOfType<LayoutAttr>(PruneDialect::kLayoutAttrName);
}
inline void setDecision(Operation *op, DecisionAttr decision) {
  op->setAttr(PruneDialect::kDecisionAttrName, decision);
}
inline void setLayout(Operation *op, LayoutAttr layout) {
  op->setAttr(PruneDialect::kLayoutAttrName, layout);
}
} // namespace mlir::prune

#endif // PRUNE_OPT_DIALECT_PRUNE_PRUNEDIALECT_H
