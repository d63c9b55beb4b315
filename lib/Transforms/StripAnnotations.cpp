//===- StripAnnotations.cpp - The nn-strip-annotations pass ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/Transforms/Passes.h"
#include "prune-opt/Utils/ExternalWeights.h"

namespace mlir::prune {
#define GEN_PASS_DEF_NNSTRIPANNOTATIONS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;

namespace {
struct NNStripAnnotationsPass
    : public prune::impl::NNStripAnnotationsBase<NNStripAnnotationsPass> {
  void runOnOperation() override {
    StringRef prefix = prune::PruneDialect::getDialectNamespace();
    getOperation()->walk([&](Operation *op) {
      SmallVector<StringAttr> names;
      for (NamedAttribute attr : op->getDiscardableAttrs())
        if (attr.getName() != prune::kWeightFilesAttrName &&
            attr.getName().strref().starts_with(prefix) &&
            attr.getName().strref().drop_front(prefix.size()).starts_with("."))
          names.push_back(attr.getName());
      for (StringAttr name : names)
        op->removeDiscardableAttr(name);
      numStripped += names.size();
    });
  }
};
} // namespace
