//===- ExportCInterface.cpp - The nn-export-c-interface pass --------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNEXPORTCINTERFACE
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

namespace {
struct NNExportCInterfacePass
    : public prune::impl::NNExportCInterfaceBase<NNExportCInterfacePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isPublic() && !func.isExternal())
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
  }
};
} // namespace
