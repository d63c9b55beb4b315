//===- prune-opt.cpp - The prune-opt driver -------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with prune-opt's passes and pipelines added.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace mlir::prune::test {
void registerTestPasses();
} // namespace mlir::prune::test

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::prune::test::registerTestPasses();
  mlir::prune::registerAllPruneOptPasses();
  mlir::DialectRegistry registry;
  mlir::prune::registerAllUpstream(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "prune-opt: prune and sparsify neural-network weights\n",
      registry));
}
