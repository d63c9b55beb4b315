//===- WeightData.h - Read and write weight constants -----------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Reads the elements of a weight constant (hex or decimal `dense<>`,
// `dense_resource<>` blobs) into a plain buffer without materialising a
// DenseElementsAttr, and writes buffers back as `dense_resource` blobs.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_UTILS_WEIGHTDATA_H
#define PRUNE_OPT_UTILS_WEIGHTDATA_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "prune-opt/Utils/ExternalWeights.h"
#include "llvm/Support/MemoryBuffer.h"

#include <vector>

namespace mlir::prune {

/// 16-bit float bits (IEEE half, or bfloat16 when `bf16`) to double and back
/// (round to nearest even).
double halfBitsToDouble(uint16_t bits, bool bf16);
uint16_t doubleToHalfBits(double value, bool bf16);

/// True for the float element types weights may have (f16, bf16, f32, f64).
bool isSupportedWeightElementType(Type type);

/// Raw bytes of a non-splat dense or resource attribute held by `owner` (a
/// constant op): the blob, or for a blob-less resource the tensor of that
/// name in the module's weight files (ExternalWeights.h), mapped while the
/// result lives. Fails with a diagnostic at `owner` when the data is missing.
FailureOr<WeightBytes> getRawWeightBytes(ElementsAttr attr, Operation *owner);

/// Reads all elements as doubles (splats are expanded). Emits an error at
/// `owner` and fails for unsupported element types or missing data.
FailureOr<std::vector<double>> readWeight(ElementsAttr attr,
                                          Operation *owner);

/// Creates a `dense_resource` attribute of `type` holding `values` converted
/// to the element type of `type`. `blobName` is a hint: the resource manager
/// makes it unique. With a `writer` for a module whose weights are external,
/// the data goes to the writer's file instead of a blob.
ElementsAttr writeWeight(RankedTensorType type, ArrayRef<double> values,
                         StringRef blobName, WeightWriter *writer = nullptr);

/// Like writeWeight, but if `current` is already the resource `blobName`
/// (written by an earlier run of the same pass), overwrites its blob so the
/// name stays stable.
ElementsAttr writeWeightReusing(ElementsAttr current, RankedTensorType type,
                                ArrayRef<double> values, StringRef blobName,
                                WeightWriter *writer = nullptr);

/// Gives back the memory of a blob nothing reads any more where that cannot
/// lose data: the resident pages of a blob mapped from the input file (the
/// bytecode reader's) are dropped; heap blobs are left alone (a clone of the
/// module in the same context may still refer to them).
void releaseBlob(DenseResourceElementsHandle handle);

/// Releases each of `candidates` that no attribute under `root` refers to:
/// passes that replace weights call it so the old data does not stay in
/// memory until the context dies.
void releaseUnreferencedBlobs(Operation *root,
                              ArrayRef<DenseResourceElementsHandle> candidates);

/// Creates a `dense_resource` attribute of a 1-D integer tensor.
ElementsAttr writeIntArray(MLIRContext *ctx, unsigned bitWidth,
                           bool isIndex, ArrayRef<int64_t> values,
                           StringRef blobName, WeightWriter *writer = nullptr);

/// The row-major data of a tensor of `shape` with its dimensions reordered:
/// result dimension i is dimension `order[i]` of the input (the semantics of
/// linalg.transpose's permutation).
std::vector<double> permuteDims(ArrayRef<double> values,
                                ArrayRef<int64_t> shape,
                                ArrayRef<int64_t> order);

/// Returns the value attribute of a weight-defining op (arith.constant or
/// tosa.const), or null.
ElementsAttr getConstantValue(Operation *op);
/// Replaces the value attribute of a weight-defining op.
void setConstantValue(Operation *op, ElementsAttr value);

/// Checks textual MLIR `input` (bytecode passes) for what MLIR 22's parser
/// aborts on instead of reporting: a hex resource blob in the file metadata
/// whose first four bytes (its alignment) are 0 and that holds data (the
/// parser allocates it with alignment 0: "LLVM ERROR: out of memory";
/// test/Upstream/fuzz-parser-crashes.test). Prints an error at the blob to
/// `os` and fails; tools call it before parsing.
LogicalResult checkResourceBlobAlignments(const llvm::MemoryBuffer &input,
                                          llvm::raw_ostream &os);

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_WEIGHTDATA_H
