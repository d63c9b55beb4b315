//===- Passes.h - prune-opt passes ------------------------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_TRANSFORMS_PASSES_H
#define PRUNE_OPT_TRANSFORMS_PASSES_H

#include "prune-opt/Criteria/Criteria.h"
#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Layout/Layout.h"
#include "prune-opt/Runtime/Kernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/CommandLine.h"

namespace mlir::prune {

/// nn-sparsify's `format` option: `auto` or a format of Formats.def (same
/// values as ::pruneopt::kernels::Format).
enum class FormatOption : int {
  Auto = -1,
#define PRUNE_FORMAT(Enum, Name, Selectable, Description) Enum,
#include "prune-opt/Runtime/Formats.def"
};

/// nn-sparsify's `isa` option: the kernels the cost model predicts.
enum class IsaOption { Host, Avx512, Avx2, Portable };

/// The largest buffer nn-stack-buffers puts on the stack by default (and
/// nn-lower-cpu at most; the cost model counts larger kernel outputs as
/// heap allocations).
constexpr int64_t kMaxStackBufferBytes = 32768;
/// The alignment of the compiled model's intermediate buffers: a cache
/// line, as the kernels store whole 512-bit vectors.
constexpr uint64_t kBufferAlignment = 64;

#define PRUNE_OPT_IF_1(...) __VA_ARGS__
#define PRUNE_OPT_IF_0(...)
/// The option's values: auto and the selectable rows of Formats.def.
inline llvm::cl::ValuesClass formatOptionValues() {
  return llvm::cl::ValuesClass({
      clEnumValN(FormatOption::Auto, "auto",
                 "Per weight, whatever the cost model says is faster"),
#define PRUNE_FORMAT(Enum, Name, Selectable, Description)                      \
  PRUNE_OPT_IF_##Selectable(clEnumValN(FormatOption::Enum, Name, Description), )
#include "prune-opt/Runtime/Formats.def"
  });
}
#undef PRUNE_OPT_IF_1
#undef PRUNE_OPT_IF_0

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
