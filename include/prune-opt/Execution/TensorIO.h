//===- TensorIO.h - Tensors in and out of files -----------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// .npy (float32, C order) and MNIST idx(.gz) files, and the preprocessing
// that turns idx images into model inputs.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_EXECUTION_TENSORIO_H
#define PRUNE_OPT_EXECUTION_TENSORIO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace mlir::prune {

/// A dense row-major float32 tensor on the host.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numElements() const;
};

/// Reads a .npy file holding float32 (or float64, converted) in C order.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path);
/// Writes a float32 .npy file.
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor);

/// Reads a whole file, gunzipping it if it starts with the gzip magic.
llvm::Expected<std::vector<uint8_t>> readMaybeGzip(llvm::StringRef path);

/// MNIST idx3 images: [count, rows, cols] bytes.
struct IdxImages {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;
};
llvm::Expected<IdxImages> readIdxImages(llvm::StringRef path);
llvm::Expected<std::vector<int64_t>> readIdxLabels(llvm::StringRef path);

/// How idx pixels p (0..255) become model inputs:
/// value = (p / scale - mean) / std, placed at offset (pad, pad) of a
/// zero-filled image, laid out NCHW (1x1xHxW) or NHWC (1xHxWx1).
struct Preprocess {
  double scale = 255.0;
  double mean = 0.0;
  double std = 1.0;
  int64_t pad = 0;
  bool nhwc = false;
};
/// Parses `scale=255,mean=0.1307,std=0.3081,pad=2,layout=nchw`.
llvm::Expected<Preprocess> parsePreprocess(llvm::StringRef spec);
/// Builds the input for image `index` with the model input `shape`.
llvm::Expected<HostTensor> makeImageInput(const IdxImages &images,
                                          int64_t index, const Preprocess &p,
                                          llvm::ArrayRef<int64_t> shape);

} // namespace mlir::prune

#endif // PRUNE_OPT_EXECUTION_TENSORIO_H
