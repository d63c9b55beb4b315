//===- WeightAnalysis.h - Find the prunable weights of a model --*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// WeightAnalysis finds every constant tensor that feeds an input operand of a
// contraction (linalg matmul/batch_matmul/matvec/vecmat, convolutions, and
// `linalg.generic` ops that are contractions), looking through transposes,
// broadcasts, reshapes, casts and calls to private functions. For each weight
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
  /// The contraction (a linalg op) that consumes the weight.
  Operation *consumer = nullptr;
  /// Index of the consumed operand among the consumer's operands.
  unsigned operandIndex = 0;
  /// Ops between the constant and the consumer, constant side first:
  /// linalg.transpose, linalg.broadcast, tensor.collapse_shape/expand_shape/
  /// cast, func.call (into a private function).
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
};

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

  /// True if `op` is a contraction or convolution this analysis looks at.
  static bool isContraction(Operation *op);

  /// Attaches notes to `diag` saying why no weight was found under `root`:
  /// TOSA ops not converted to linalg, contractions whose operands are
  /// function arguments (weights passed in, or through a call to a public
  /// function) or computed values (e.g. `linalg.generic` copies).
  static void explainNoWeights(Operation *root, Diagnostic &diag);

private:
  std::vector<WeightInfo> weights;
};

} // namespace mlir::prune

#endif // PRUNE_OPT_ANALYSIS_WEIGHTANALYSIS_H
