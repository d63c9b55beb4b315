//===- ZeroSizeGlobals.cpp - The nn-zero-size-globals pass ----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Works around an MLIR 22 crash: translating an llvm.mlir.global of a
// zero-element array type with a dense value divides by zero.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNZEROSIZEGLOBALS
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
