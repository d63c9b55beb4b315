//===- WeightAnalysis.h - Find the prunable weights of a model --*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// WeightAnalysis finds every constant tensor that feeds an input operand of a
// contraction (linalg matmul/batch_matmul/matvec/vecmat, convolutions,
// `linalg.generic` ops that are contractions, and the weight operands of
// `tosa.matmul`, `tosa.conv2d`, `tosa.conv3d`, `tosa.depthwise_conv2d` and
// `tosa.transpose_conv2d`), looking through transposes (linalg and TOSA),
// broadcasts, reshapes (tensor and TOSA), casts, copies (`linalg.copy` and
// `linalg.generic` copies/permutations) and calls: a function argument is
// followed to what every call site in the module passes, for private and
// public functions alike. For each weight
// it knows which of its dimensions are reduction (input features), output
// (neurons / filters) or batch-like (shared with the activation, e.g. the
// batch of a batch_matmul or the channel of a depthwise convolution).
//
// Constants feeding the `outs` of a contraction (a broadcast bias) and
// constants feeding only elementwise ops (biases, normalisation parameters)
// are not weights.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_ANALYSIS_WEIGHTANALYSIS_H
#define PRUNE_OPT_ANALYSIS_WEIGHTANALYSIS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "mlir/Pass/AnalysisManager.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::prune {

/// The part a weight dimension plays in the contraction that consumes it.
enum class DimRole {
  Output,    ///< Parallel, appears in the result only (neurons, filters).
  Reduction, ///< Summed over (input features, kernel window).
  Batch,     ///< Parallel, shared with the activation (batch, depthwise ch).
  Mixed,     ///< A reshape merged dimensions with different roles.
};

llvm::StringRef stringifyDimRole(DimRole role);

/// One path from a weight constant to an input operand of a contraction.
struct WeightUse {
  /// The contraction (a linalg op, or a TOSA op: isTosa()) that consumes the
  /// weight.
  Operation *consumer = nullptr;
  /// Index of the consumed operand among the consumer's operands.
  unsigned operandIndex = 0;
  /// Ops between the constant and the consumer, constant side first:
  /// linalg.transpose, linalg.broadcast, linalg.copy, copying
  /// linalg.generic, tensor.collapse_shape/expand_shape/cast, tosa.transpose,
  /// tosa.reshape, func.call.
  llvm::SmallVector<Operation *> viewChain;
  /// Role of each dimension of the *consumed* operand.
  llvm::SmallVector<DimRole> operandRoles;
  /// Role of each dimension of the *constant*, mapped back through the chain.
  llvm::SmallVector<DimRole> weightRoles;
  /// 2 * iteration-space size of the consumer (multiply + add), or -1 when
  /// the consumer has dynamic bounds.
  int64_t denseFlops = -1;

  /// True if the chain holds a broadcast or a call (the consumer then does
  /// not read the constant's elements one-to-one in its own function).
  bool isDirectView() const;
  /// True if the consumer is a TOSA op (not a linalg op).
  bool isTosa() const;
};

/// For a view that only permutes dimensions (linalg.transpose,
/// tosa.transpose, linalg.copy, a `linalg.generic` whose body only yields
/// its one input, with parallel loops and permutation indexing maps):
/// `perm` with result dim i = source dim perm[i]. nullopt otherwise.
std::optional<llvm::SmallVector<int64_t>> getViewPermutation(Operation *view);
/// True for the copies getViewPermutation accepts (linalg.copy and copying
/// `linalg.generic`s), not the transposes.
bool isCopyView(Operation *op);

/// A constant weight and all its uses by contractions.
struct WeightInfo {
  /// The defining op: arith.constant or tosa.const.
  Operation *constOp = nullptr;
  /// Its value (DenseElementsAttr or DenseResourceElementsAttr).
  ElementsAttr value;
  RankedTensorType type;
  /// Position in walk order; printed as `w<id>`.
  unsigned id = 0;
  /// NameLoc name, else resource key, else `w<id>`.
  std::string name;
  llvm::SmallVector<WeightUse> uses;

  /// Roles of the constant's dimensions, merged over all uses.
  llvm::SmallVector<DimRole> roles() const;
  int64_t numElements() const { return type.getNumElements(); }
  /// True if the data is available (false for `dense_resource<__elided__>`
  /// or a resource key with no blob).
  bool hasData() const;
  std::string idString() const { return "w" + std::to_string(id); }
  /// True if `pattern` selects this weight: it equals the name or id, is a
  /// substring of the name or of the printed location, or equals the op
  /// name of a consumer.
  bool matches(llvm::StringRef pattern) const;
};

/// Analysis over a module (or any op): all prunable weights under it.
class WeightAnalysis {
public:
  explicit WeightAnalysis(Operation *root);
  WeightAnalysis(Operation *root, AnalysisManager &) : WeightAnalysis(root) {}

  llvm::ArrayRef<WeightInfo> getWeights() const { return weights; }
  /// Returns the weight defined by `constOp`, or null.
  const WeightInfo *lookup(Operation *constOp) const;

  /// True if `op` is a linalg contraction or convolution this analysis looks
  /// at (always a linalg::LinalgOp).
  static bool isContraction(Operation *op);
  /// True if `op` is a TOSA contraction whose weight operand the analysis
  /// looks at (tosa.matmul, conv2d, conv3d, depthwise_conv2d,
  /// transpose_conv2d).
  static bool isTosaContraction(Operation *op);

  /// Attaches notes to `diag` saying why no weight was found under `root`:
  /// for each contraction (up to 4), where its operands come from: function
  /// arguments no call site in the module sets to a constant (weights passed
  /// in by whoever calls the module), block arguments, or values computed by
  /// ops the analysis does not look through.
  static void explainNoWeights(Operation *root, Diagnostic &diag);

private:
  std::vector<WeightInfo> weights;
};

} // namespace mlir::prune

#endif // PRUNE_OPT_ANALYSIS_WEIGHTANALYSIS_H
