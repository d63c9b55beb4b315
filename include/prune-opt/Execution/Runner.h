//===- Runner.h - Compile and call MLIR modules -----------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a linalg-on-tensors module through a pass pipeline and
// nn-lower-cpu, JITs it with MLIR's ExecutionEngine and calls an entry
// function through its C interface with host tensors. Nothing is tied to one
// model's signature: the entry's ranked, statically shaped f32 tensor
// arguments and results are marshalled as memref descriptors of their rank.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_EXECUTION_RUNNER_H
#define PRUNE_OPT_EXECUTION_RUNNER_H

#include "prune-opt/Execution/TensorIO.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class MLIRContext;
class ModuleOp;

namespace prune {

class CompiledModel {
public:
  /// Clones `module`, runs `pipeline` (textual, e.g.
  /// "nn-prune{sparsity=0.9},nn-sparsify"; may be empty) and nn-lower-cpu,
  /// and JITs the result. `entry` must be a public function whose arguments
  /// and results are static f32 tensors.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  compile(ModuleOp module, llvm::StringRef entry, llvm::StringRef pipeline);
  ~CompiledModel();

  llvm::ArrayRef<std::vector<int64_t>> inputShapes() const {
    return inShapes;
  }
  llvm::ArrayRef<std::vector<int64_t>> outputShapes() const {
    return outShapes;
  }
  /// Calls the entry; checks the input shapes.
  llvm::Expected<std::vector<HostTensor>>
  run(llvm::ArrayRef<HostTensor> inputs);

private:
  CompiledModel() = default;
  std::unique_ptr<ExecutionEngine> engine;
  std::string entry;
  std::vector<std::vector<int64_t>> inShapes, outShapes;
  void (*packed)(void **) = nullptr;
};

} // namespace prune
} // namespace mlir

#endif // PRUNE_OPT_EXECUTION_RUNNER_H
