//===- LoweringFixups.cpp - Small fix-ups of nn-lower-cpu -----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// nn-zero-size-globals works around an MLIR 22 crash: translating an
// llvm.mlir.global of a zero-element array type with a dense value divides
// by zero. nn-drop-tensor-deallocs removes deallocation hints that upstream's
// ownership-based deallocation rejects.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNZEROSIZEGLOBALS
#define GEN_PASS_DEF_NNDROPTENSORDEALLOCS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

/// True if `type` is an LLVM array (of arrays ...) with no elements.
static bool hasNoElements(Type type) {
  while (auto array = dyn_cast<LLVM::LLVMArrayType>(type)) {
    if (array.getNumElements() == 0)
      return true;
    type = array.getElementType();
  }
  return false;
}

namespace {
struct NNZeroSizeGlobalsPass
    : public prune::impl::NNZeroSizeGlobalsBase<NNZeroSizeGlobalsPass> {
  void runOnOperation() override {
    getOperation().walk([&](LLVM::GlobalOp global) {
      std::optional<Attribute> value = global.getValue();
      if (value && isa<ElementsAttr>(*value) &&
          hasNoElements(global.getGlobalType()))
        global.setValueAttr(LLVM::ZeroAttr::get(&getContext()));
    });
  }
};
} // namespace

namespace {
/// A dealloc_tensor is only a hint: erase it.
struct DropTensorDeallocPattern
    : OpRewritePattern<bufferization::DeallocTensorOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(bufferization::DeallocTensorOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};

struct NNDropTensorDeallocsPass
    : public prune::impl::NNDropTensorDeallocsBase<NNDropTensorDeallocsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DropTensorDeallocPattern>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
