//===- Runner.h - Compile and call MLIR modules -----------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a linalg-on-tensors module through a pass pipeline and
// nn-lower-cpu, then either JITs it with MLIR's ExecutionEngine or builds a
// shared library with clang-22 (AOT, the same code path a deployment uses)
// and loads it, and calls an entry function through its C interface with
// host tensors. Nothing is tied to one model's signature: the entry's
// statically shaped tensor arguments and results (f32, f64, f16, bf16, i8,
// i32, i64) are marshalled as memref descriptors of their rank.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_EXECUTION_RUNNER_H
#define PRUNE_OPT_EXECUTION_RUNNER_H

#include "prune-opt/Execution/TensorIO.h"

#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class ModuleOp;

namespace prune {

/// Element kind and static shape of an entry argument or result.
struct TensorSpec {
  ElementKind kind = ElementKind::F32;
  std::vector<int64_t> shape;
  std::string str() const; // e.g. "1x1x32x32xf32"
};

/// How a module is turned into machine code.
enum class CompileMode {
  JIT, ///< MLIR ExecutionEngine (ORC JIT, -O3).
  AOT, ///< mlir-to-LLVM-IR, clang-22 -O3 -march=native -shared, dlopen.
};

/// Where the model's fully connected layers run.
enum class Device {
  Cpu,          ///< nn-lower-cpu, the kernel library (libPruneOptKernels).
  Gpu,          ///< nn-lower-gpu, an NVIDIA GPU (libPruneOptGpu).
  GpuEmulation, ///< nn-lower-gpu, kernels emulated on the host
                ///< (libPruneOptGpuEmu: the GPU path's tests).
};

class CompiledModel {
public:
  /// Clones `module`, runs `pipeline` (textual, e.g.
  /// "nn-prune{sparsity=0.9},nn-sparsify"; may be empty) and nn-lower-cpu,
  /// and compiles the result (`vectorLength`: nn-lower-cpu's `vl`, -1 for
  /// its default). A
  /// pipeline ending in its own `nn-lower-cpu{...}` (e.g. `kernels=0`) or
  /// `nn-lower-gpu{...}` replaces the default lowering (and
  /// `vectorLength`). `device` picks the default lowering (nn-lower-gpu
  /// for the GPUs) and the runtime the model is linked with. `entry` must
  /// be a public function whose arguments and results are statically
  /// shaped tensors.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  compile(ModuleOp module, llvm::StringRef entry, llvm::StringRef pipeline,
          CompileMode mode = CompileMode::JIT, int32_t vectorLength = -1,
          Device device = Device::Cpu);
  ~CompiledModel();

  llvm::ArrayRef<TensorSpec> inputSpecs() const { return inSpecs; }
  llvm::ArrayRef<TensorSpec> outputSpecs() const { return outSpecs; }
  /// Bytes of all constant data of the compiled model (weights as the
  /// kernels store them, sparse arrays, biases): its parameters as stored.
  int64_t constantBytes() const { return paramBytes; }

  /// Calls the entry. Inputs must have the entry's shapes; their element
  /// kinds are converted when they differ.
  llvm::Expected<std::vector<HostTensor>>
  run(llvm::ArrayRef<HostTensor> inputs);

  /// A call of the entry on fixed inputs with its argument descriptors
  /// built once (and the inputs converted once), so that `invoke` does what
  /// an application's call of the compiled function does and nothing else:
  /// it calls the entry and frees the buffers the entry returns. This is
  /// what prune-run --bench times; `run` also builds the descriptors and
  /// copies the results into new tensors: ~0.3 us more per call (the
  /// MNIST MLP pruned to 99.5 %: run 1.04-1.11 us, invoke 0.75-0.79 us,
  /// medians, alternating in one process). The inputs and
  /// the model must outlive it.
  class Call {
  public:
    llvm::Error invoke();

  private:
    friend class CompiledModel;
    Call() = default;
    /// Calls the entry; its results are left in `resultWords`.
    llvm::Error call();
    /// Frees the buffers of the last call's results.
    void freeResults();
    CompiledModel *model = nullptr;
    std::vector<HostTensor> converted;
    std::vector<int64_t> resultWords;
    std::vector<size_t> resultOffsets;
    std::vector<std::vector<int64_t>> inDescs;
    std::vector<void *> pointers, packedArgs;
  };
  llvm::Expected<Call> prepare(llvm::ArrayRef<HostTensor> inputs);

private:
  CompiledModel() = default;
  std::unique_ptr<ExecutionEngine> engine;
  std::string entry;
  std::vector<TensorSpec> inSpecs, outSpecs;
  int64_t paramBytes = 0;
  void (*packed)(void **) = nullptr; // JIT: packed wrapper
  void *ciface = nullptr;            // AOT: _mlir_ciface_<entry>
  /// The GPU runtime's prune_gpu_take_model_error (GPU devices).
  const char *(*takeGpuError)() = nullptr;
  /// Weight files the passes wrote for the compiled clone (packed weights
  /// of a model with external weights): the code maps them when it runs,
  /// and the destructor deletes them.
  std::vector<std::string> ownedWeightFiles;
};

/// The memory the JIT (CompileMode::JIT) maps sections into: data sections
/// of 2 MiB or more (packed weights) start on a 2 MiB boundary with
/// transparent huge pages asked for (Linux); everything else as LLVM maps
/// it. For hosts that run their own ExecutionEngine on lowered models:
/// ExecutionEngineOptions::sectionMemoryMapper.
llvm::SectionMemoryManager::MemoryMapper &jitSectionMapper();

} // namespace prune
} // namespace mlir

#endif // PRUNE_OPT_EXECUTION_RUNNER_H
