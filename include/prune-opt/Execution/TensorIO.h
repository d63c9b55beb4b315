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

/// Element types a host tensor (and a model entry's memrefs) may have.
enum class ElementKind { F32, F64, F16, BF16, I8, I32, I64 };

/// Size in bytes and name (`f32`, `bf16`, ...) of an element kind.
size_t elementSize(ElementKind kind);
llvm::StringRef elementKindName(ElementKind kind);

/// A dense row-major tensor on the host: raw little-endian bytes.
struct HostTensor {
  ElementKind kind = ElementKind::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  HostTensor(ElementKind kind, std::vector<int64_t> shape);
  int64_t numElements() const;
  /// Element `i` converted to double / stored from double (rounding to the
  /// element type; integers round to nearest).
  double get(int64_t i) const;
  void set(int64_t i, double value);
  void *data() { return bytes.data(); }
  const void *data() const { return bytes.data(); }
  /// The same values in another element kind.
  HostTensor convertTo(ElementKind to) const;
  /// Elements [begin, begin + count) of the flattened tensor, with `shape`.
  HostTensor slice(int64_t begin, std::vector<int64_t> shape) const;
};

/// Reads a .npy file (C order, little endian) of dtype float32, float64,
/// float16, int8, int32 or int64.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path);

/// Where the data of an uncompressed .npy file is: its element kind, shape
/// and the byte offset of the data (checked to be backed by the file).
struct NpyLayout {
  ElementKind kind = ElementKind::F32;
  std::vector<int64_t> shape;
  uint64_t dataOffset = 0;
};
/// Reads only the header of an uncompressed .npy file (the data stays on
/// disk: read it with readNpyElements). Fails for gzip files too.
llvm::Expected<NpyLayout> readNpyLayout(llvm::StringRef path);
/// Reads `count` elements from element `first` of the .npy `path` laid out
/// as `layout` into a tensor of `shape`.
llvm::Expected<HostTensor> readNpyElements(llvm::StringRef path,
                                           const NpyLayout &layout,
                                           int64_t first,
                                           std::vector<int64_t> shape);
/// Writes a .npy file; bf16 is written as float32 (numpy has no bf16). The
/// file is written to a temporary name and renamed: no partial output.
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
