//===- TestWeightAnalysis.cpp - Print what WeightAnalysis finds -----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Test-only pass: emits one remark per weight use, so lit tests can check
// the analysis with -verify-diagnostics.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Analysis/WeightAnalysis.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::prune;

namespace {
struct TestWeightAnalysisPass
    : public PassWrapper<TestWeightAnalysisPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestWeightAnalysisPass)
  StringRef getArgument() const final { return "test-nn-weight-analysis"; }
  StringRef getDescription() const final {
    return "Emit a remark for every weight use WeightAnalysis finds";
  }
  void runOnOperation() override {
    auto &analysis = getAnalysis<WeightAnalysis>();
    for (const WeightInfo &w : analysis.getWeights()) {
      for (const WeightUse &use : w.uses) {
        auto diag = w.constOp->emitRemark();
        diag << w.idString() << " '" << w.name << "': "
             << use.consumer->getName() << " operand "
             << use.operandIndex << ", roles [";
        llvm::interleaveComma(use.weightRoles, diag, [&](DimRole r) {
          diag << stringifyDimRole(r);
        });
        diag << "], flops " << use.denseFlops << ", via [";
        llvm::interleaveComma(use.viewChain, diag, [&](Operation *op) {
          diag << op->getName();
        });
        diag << "]" << (w.hasData() ? "" : ", no data");
      }
    }
    markAllAnalysesPreserved();
  }
};
} // namespace

namespace mlir::prune::test {
void registerTestPasses() { PassRegistration<TestWeightAnalysisPass>(); }
} // namespace mlir::prune::test
