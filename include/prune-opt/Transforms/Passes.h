//===- Passes.h - prune-opt passes ------------------------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_TRANSFORMS_PASSES_H
#define PRUNE_OPT_TRANSFORMS_PASSES_H

#include "prune-opt/Criteria/Criteria.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::prune {

/// Storage a pruned weight is given by nn-sparsify.
enum class SparseFormat { Auto, Dense, CSR, Bitmask, BSR, NM };

/// Name of the discardable attribute recording a pruning decision.
inline constexpr llvm::StringLiteral kPruneAttrName = "nn.prune";

#define GEN_PASS_DECL
#include "prune-opt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "prune-opt/Transforms/Passes.h.inc"

} // namespace mlir::prune

#endif // PRUNE_OPT_TRANSFORMS_PASSES_H
