//===- Inputs.h - Model inputs from idx images or .npy files ----*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// A source of samples for a model entry: MNIST-style idx images with a
// preprocessing spec, or one .npy per argument (optionally with a leading
// batch axis). Shared by prune-run and nn-calibrate.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_EXECUTION_INPUTS_H
#define PRUNE_OPT_EXECUTION_INPUTS_H

#include "prune-opt/Execution/Runner.h"
#include "prune-opt/Execution/TensorIO.h"

#include <optional>

namespace mlir::prune {

class InputSource {
public:
  /// Images from an idx3 file, preprocessed by `preprocessSpec`, for an
  /// entry taking one image tensor.
  static llvm::Expected<InputSource>
  fromImages(llvm::StringRef path, llvm::StringRef preprocessSpec,
             llvm::ArrayRef<TensorSpec> specs);
  /// One .npy per entry argument.
  static llvm::Expected<InputSource>
  fromNpy(llvm::ArrayRef<std::string> paths, llvm::ArrayRef<TensorSpec> specs,
          llvm::StringRef entryName);

  /// Number of samples available.
  int64_t size() const { return available; }
  /// The arguments of sample `index`.
  llvm::Expected<std::vector<HostTensor>> sample(int64_t index) const;
  /// Fails if [first, first + count) is not available.
  llvm::Error checkRange(int64_t first, int64_t count) const;

private:
  std::vector<TensorSpec> specs;
  std::optional<IdxImages> images;
  Preprocess preprocess;
  std::vector<HostTensor> arrays;
  /// Large uncompressed .npy files stay on disk: a sample is read when it
  /// is needed (its path and layout; arrays[i] is then empty).
  struct OnDisk {
    std::string path;
    NpyLayout layout;
  };
  std::vector<std::optional<OnDisk>> onDisk;
  int64_t available = 0;
};

} // namespace mlir::prune

#endif // PRUNE_OPT_EXECUTION_INPUTS_H
