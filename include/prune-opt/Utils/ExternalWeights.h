//===- ExternalWeights.h - Weights kept outside the IR ----------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Weights may live outside the IR, in safetensors files: a module names its
// files with the attribute `prune.weight_files = ["a.safetensors", ...]` and
// a `dense_resource<key>` without a blob is the tensor `key` of the first of
// those files that has it. Nothing maps a whole file: a weight is mapped
// when a pass reads it and unmapped when the pass is done with it, so the
// address space a pass needs is bounded by the weights it holds at once
// (the tests run under `ulimit -v` half the size of the weights).
//
// New tensors a pass creates for such a module are not kept in memory
// either: a WeightWriter appends them to a new file next to the first
// weight file and puts that file first in the module's list when the pass
// ends. `nn-store-weights` compacts everything into one file.
//
// safetensors: 8 bytes little-endian header length N, N bytes of JSON
// ({"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
// "__metadata__": {..}}), then the data; offsets are relative to the data.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_UTILS_EXTERNALWEIGHTS_H
#define PRUNE_OPT_UTILS_EXTERNALWEIGHTS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mlir::prune {

/// The module attribute naming the weight files (an array of strings).
inline constexpr llvm::StringLiteral kWeightFilesAttrName =
    "prune.weight_files";

/// Bytes of a weight: a view of an attribute's blob, or of a mapping of a
/// weight file that stays mapped as long as a copy of this handle lives.
class WeightBytes {
public:
  WeightBytes() = default;
  explicit WeightBytes(ArrayRef<char> bytes,
                       std::shared_ptr<const void> keepAlive = nullptr)
      : bytes(bytes), keepAlive(std::move(keepAlive)) {}
  const char *data() const { return bytes.data(); }
  size_t size() const { return bytes.size(); }
  ArrayRef<char> getBytes() const { return bytes; }

private:
  ArrayRef<char> bytes;
  std::shared_ptr<const void> keepAlive;
};

/// safetensors element types.
enum class TensorDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };
std::optional<TensorDType> parseTensorDType(StringRef name);
StringRef tensorDTypeName(TensorDType dtype);
unsigned tensorDTypeBytes(TensorDType dtype);
/// The safetensors type of an MLIR element type (index is stored as I64),
/// or none.
std::optional<TensorDType> tensorDTypeFor(Type elementType);

/// One tensor of a weight file; offsets are absolute (from the file start).
struct TensorEntry {
  std::string name;
  TensorDType dtype;
  SmallVector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

/// A safetensors file, validated on open: every tensor lies inside the data,
/// its byte size matches its shape and type, the header is well-formed JSON.
class WeightFile {
public:
  /// Opens and validates `path`. Opened files are shared within the process
  /// (keyed by path, reopened when the file on disk changed).
  static llvm::Expected<std::shared_ptr<const WeightFile>>
  open(StringRef path);
  /// Parses a header from memory (for tests and for `open`). `fileSize` is
  /// the size of the whole file.
  static llvm::Expected<std::unique_ptr<WeightFile>>
  parse(StringRef path, ArrayRef<char> prefix, uint64_t fileSize);

  StringRef getPath() const { return path; }
  uint64_t getFileSize() const { return fileSize; }
  uint64_t getDataStart() const { return dataStart; }
  ArrayRef<TensorEntry> getEntries() const { return entries; }
  const TensorEntry *lookup(StringRef name) const;
  /// Maps the bytes of `entry` (only its pages) read-only.
  llvm::Expected<WeightBytes> map(const TensorEntry &entry) const;

  /// An open file descriptor (defined in ExternalWeights.cpp).
  struct Descriptor;

private:
  std::shared_ptr<Descriptor> descriptor; // set by `open`
  std::string path;
  uint64_t fileSize = 0, dataStart = 0;
  std::vector<TensorEntry> entries;
  llvm::StringMap<size_t> byName;
  // Identity of the file on disk when it was opened (see `open`).
  uint64_t device = 0, inode = 0;
  int64_t mtimeNs = 0;
};

/// The weight files of the module enclosing `op` (the innermost one with
/// the attribute), or an empty list.
SmallVector<std::string> getWeightFiles(Operation *op);

/// Where a blob-less resource's data is: its file and entry. Fails with a
/// diagnostic at `loc` when the module has no weight files, a file cannot
/// be opened, no file has the key, or the entry does not fit `type`.
struct ExternalTensor {
  std::shared_ptr<const WeightFile> file;
  TensorEntry entry;
};
FailureOr<ExternalTensor> findExternalTensor(Operation *owner, StringRef key,
                                             ShapedType type, Location loc);

/// True when `attr` is a `dense_resource` without a blob that the weight
/// files of `owner`'s module provide (no diagnostic).
bool hasExternalData(DenseResourceElementsAttr attr, Operation *owner);

/// The bytes of a blob-less resource from the weight files of `owner`'s
/// module (see findExternalTensor for the failures).
FailureOr<WeightBytes> readExternalWeight(DenseResourceElementsAttr attr,
                                          Operation *owner, Location loc);

/// Writes a safetensors file through a SafeOutputFile (an existing file is
/// replaced only when everything was written). `tensors` are written in
/// order, each 64-byte aligned; `fetch(i)` gives tensor i's bytes (it may
/// map them from another file: one at a time is held).
struct TensorToWrite {
  std::string name;
  TensorDType dtype;
  SmallVector<int64_t> shape;
  uint64_t bytes = 0;
};
llvm::Error
writeWeightFile(StringRef path, ArrayRef<TensorToWrite> tensors,
                llvm::function_ref<llvm::Expected<WeightBytes>(size_t)> fetch);

/// Makes writeWeightFile (nn-store-weights) leave its files staged until
/// commitWeightFiles: a tool whose run fails then leaves every existing file
/// as it was. Until the commit, the staged content is what is read under
/// the file's name. (prune-opt defers; a pass in another tool commits at
/// once.)
void deferWeightFileCommits();
/// Moves the staged files to their names (the tool succeeded).
llvm::Error commitWeightFiles();
/// Drops the staged files (the tool failed).
void discardWeightFiles();

/// Creates the new tensors of one pass run on `module`. When the module has
/// weight files, the data goes to a new file next to the first one (never
/// an existing file) and the resources have no blob; `finish` writes that
/// file's header and puts it first in the module's list. Otherwise the
/// tensors are heap blobs, as before. Thread-safe.
class WeightWriter {
public:
  WeightWriter(ModuleOp module, StringRef passName);
  ~WeightWriter();
  WeightWriter(const WeightWriter &) = delete;
  WeightWriter &operator=(const WeightWriter &) = delete;

  bool isExternal() const { return external; }
  /// Floats converted to `type`'s element type (f16, bf16, f32, f64).
  ElementsAttr writeFloats(RankedTensorType type, ArrayRef<double> values,
                           StringRef name);
  /// A 1-D integer (or index) tensor.
  ElementsAttr writeInts(unsigned bitWidth, bool isIndex,
                         ArrayRef<int64_t> values, StringRef name);
  /// Raw little-endian bytes of `type`.
  ElementsAttr writeBytes(RankedTensorType type, ArrayRef<char> bytes,
                          StringRef name);

  /// Ends the pass's writing: writes the header of the new file (the
  /// tensors the module still refers to), puts the file first in the
  /// module's list, and deletes the files earlier writers of this process
  /// created for this module that it no longer refers to. Emits an error at
  /// the module on I/O failure. A no-op when nothing was written.
  LogicalResult finish();

private:
  ModuleOp module;
  std::string passName;
  bool external = false;
  std::mutex mutex;
  struct State;
  std::unique_ptr<State> state;
};

/// Runs `body` (a pass's work on `module`) with `slot` pointing to a
/// WeightWriter for it, then finishes the writer: how passes that create
/// tensors run.
LogicalResult withWeightWriter(ModuleOp module, StringRef passName,
                               WeightWriter *&slot,
                               llvm::function_ref<void()> body);

/// The base of a pass that creates tensors: `GeneratedBaseT<DerivedT>` (the
/// TableGen base) whose runOnOperation runs DerivedT::runOnModule() with
/// `writer` set for the run (withWeightWriter) and fails the pass if the
/// writer cannot finish.
template <typename DerivedT, template <typename> class GeneratedBaseT>
class WeightWritingPass : public GeneratedBaseT<DerivedT> {
  using GeneratedBase = GeneratedBaseT<DerivedT>;

public:
  using GeneratedBase::GeneratedBase;

protected:
  /// New tensors of this run (a file of their own when the module's
  /// weights are external); null outside runOnModule.
  WeightWriter *writer = nullptr;

private:
  void runOnOperation() final {
    if (failed(withWeightWriter(
            this->getOperation(), this->getArgument(), writer,
            [&] { static_cast<DerivedT *>(this)->runOnModule(); })))
      this->signalPassFailure();
  }
};

/// Deletes the weight files this process created for `module` that were in
/// its `oldFiles` and its `prune.weight_files` no longer lists.
/// `nn-store-weights` and `nn-embed-weights` call it.
void dropUnlistedWeightFiles(ModuleOp module, ArrayRef<std::string> oldFiles);

/// Deletes every weight file a WeightWriter of this process created (a tool
/// whose run failed: no output refers to them).
void removeCreatedWeightFiles();

/// Hands over the weight files this process created for `module` (listed
/// by it or not): they are no longer this process's to delete for it, and
/// the caller deletes them with deleteWeightFiles when it is done with
/// them. For a module that is lowered and run, then dropped (a compiled
/// clone: `CompiledModel`), whose files nothing else refers to.
std::vector<std::string> takeCreatedWeightFiles(ModuleOp module);
/// Deletes `paths` (and forgets any mapping of them this process keeps).
void deleteWeightFiles(ArrayRef<std::string> paths);

/// Makes the process delete, when it exits, every weight file a
/// WeightWriter created (tools that never print the IR, like prune-run).
void removeCreatedWeightFilesAtExit();

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_EXTERNALWEIGHTS_H
