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
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
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

/// Rejects `key=` with no value in a pass option string (llvm::cl takes an
/// empty number as 0: `sparsity=` silently meant 0.0). Passes call it from
/// `initializeOptions` before the generic parser.
LogicalResult
rejectEmptyOptionValues(StringRef options, StringRef pass,
                        function_ref<LogicalResult(const Twine &)> onError);

/// Adds the empty-value check to a pass's option parsing.
#define PRUNE_OPT_CHECKED_OPTIONS(PASS_NAME)                                   \
  LogicalResult initializeOptions(                                             \
      StringRef options,                                                       \
      function_ref<LogicalResult(const Twine &)> onError) override {           \
    if (failed(rejectEmptyOptionValues(options, PASS_NAME, onError)))          \
      return failure();                                                        \
    return Pass::initializeOptions(options, onError);                          \
  }

#define GEN_PASS_DECL
#include "prune-opt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "prune-opt/Transforms/Passes.h.inc"

} // namespace mlir::prune

#endif // PRUNE_OPT_TRANSFORMS_PASSES_H
