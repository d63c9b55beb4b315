//===- LoweringFixups.cpp - Small fix-ups of nn-lower-cpu -----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// nn-zero-size-globals works around an MLIR 22 crash: translating an
// llvm.mlir.global of a zero-element array type with a dense value divides
// by zero. nn-drop-tensor-deallocs removes deallocation hints that upstream's
// ownership-based deallocation rejects. nn-stack-buffers puts small
// intermediate buffers on the stack.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNZEROSIZEGLOBALS
#define GEN_PASS_DEF_NNDROPTENSORDEALLOCS
#define GEN_PASS_DEF_NNSTACKBUFFERS
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

namespace {
struct NNStackBuffersPass
    : public prune::impl::NNStackBuffersBase<NNStackBuffersPass> {
  using Base::Base;

  /// True if the buffer of `alloc` (or a view of it) may outlive the call
  /// or is freed explicitly.
  static bool escapes(memref::AllocOp alloc,
                      const BufferViewFlowAnalysis &aliases) {
    for (Value alias : aliases.resolve(alloc.getResult()))
      for (Operation *user : alias.getUsers()) {
        if (isa<func::ReturnOp, memref::DeallocOp>(user))
          return true;
        // (Terminators of nested regions yield into values the analysis
        // follows; a call that returns memrefs may return this one.)
        if (auto call = dyn_cast<CallOpInterface>(user))
          if (llvm::any_of(call->getResultTypes(),
                           [](Type t) { return isa<BaseMemRefType>(t); }))
            return true;
      }
    return false;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || maxBufferBytes <= 0 || maxFunctionBytes <= 0)
      return;
    BufferViewFlowAnalysis aliases(func);
    const DataLayout &layout = DataLayout::closest(func);
    int64_t total = 0;
    SmallVector<memref::AllocOp> promote;
    // Only the entry block: a buffer allocated in a loop would grow the
    // stack on every iteration.
    for (auto alloc : func.front().getOps<memref::AllocOp>()) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !alloc.getDynamicSizes().empty() ||
          !alloc.getSymbolOperands().empty() ||
          !type.getElementType().isIntOrIndexOrFloat())
        continue;
      int64_t bytes = type.getNumElements() *
                      int64_t(llvm::divideCeil(
                          layout.getTypeSizeInBits(type.getElementType()), 8));
      if (bytes > maxBufferBytes || total + bytes > maxFunctionBytes ||
          escapes(alloc, aliases))
        continue;
      total += bytes;
      promote.push_back(alloc);
    }
    for (memref::AllocOp alloc : promote) {
      OpBuilder builder(alloc);
      // Aligned to a cache line at least, as the kernels' 512-bit stores
      // into it are (an LLVM alloca is aligned to its element only: a
      // vector store then spans two lines).
      uint64_t align = std::max<uint64_t>(alloc.getAlignment().value_or(0),
                                          prune::kBufferAlignment);
      auto alloca = memref::AllocaOp::create(builder, alloc.getLoc(),
                                             alloc.getType(),
                                             builder.getI64IntegerAttr(align));
      alloc.replaceAllUsesWith(alloca.getResult());
      alloc.erase();
    }
  }
};
} // namespace
