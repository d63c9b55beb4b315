//===- LinalgUtils.h - Helpers for rewriting linalg ops ---------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_UTILS_LINALGUTILS_H
#define PRUNE_OPT_UTILS_LINALGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::prune {

/// Makes input `operandIndex` of `op` read `newInput`, whose dimension `d`
/// is dimension `order[d]` of the current operand (a permuted view of the
/// same data), by permuting the operand's indexing map. Named ops are
/// generalized first (a named op's maps are fixed). Returns the op that now
/// reads `newInput` (`op` itself or its generic replacement).
FailureOr<linalg::LinalgOp> readPermutedInput(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              unsigned operandIndex,
                                              Value newInput,
                                              ArrayRef<int64_t> order);

/// A contraction y = x W^T (+ y) in linalg form: one reduction loop k, one
/// weight-output loop n, any number of batch loops m (loops of the input
/// and the output only; several are flattened into one batch, which needs
/// them adjacent and in the same order in both), f32 everywhere, static
/// shapes, each operand indexed by a permutation of its loops. Loops of
/// size 1 are ignored wherever they appear (batch_matmul with batch 1, a
/// tosa.matmul [1, M, K] x [1, K, N]); a weight shared over a batch loop
/// (batch_matmul whose weight map has no batch dim) is a batch loop.
struct FullyConnected {
  unsigned weightOperand = 0, inputOperand = 0;
  int64_t batch = 1, outputs = 0, reduction = 0;
  bool weightKN = false; // weight indexed [k, n] (else [n, k])
  bool inputKM = false;  // input indexed [k, m] (else [m, k] or [k])
  bool outputNM = false; // output indexed [n, m] (else [m, n] or [n])
  bool vector = false;   // no batch loop: input [k], output [n]
  /// Position of n among the output's dimensions (for the epilogue).
  unsigned featureDim = 0;
  /// How the input and the output collapse to their 2-D (vector: 1-D)
  /// form; empty when they already have it.
  SmallVector<ReassociationIndices> inputGroups, outputGroups;
};

/// Matches `op` as a fully connected layer whose weight is input
/// `weightOperand`.
std::optional<FullyConnected> matchFullyConnected(linalg::LinalgOp op,
                                                  unsigned weightOperand);

/// The layouts of the 2-D convolutions lowered as im2col + FC.
enum class ConvLayout {
  NchwFchw, // linalg.conv_2d_nchw_fchw (torch)
  NhwcHwcf, // linalg.conv_2d_nhwc_hwcf (TF, tosa-to-linalg-named with
            // prefer-conv2d-kernel-layout-hwcf)
  NhwcFhwc, // linalg.conv_2d_nhwc_fhwc (tosa-to-linalg-named)
  // Depthwise (matchDepthwiseAsFullyConnected): the FC weight is block
  // diagonal, [C*M, C*KH*KW], row c*M+m reading only channel c.
  DwNhwcHwc,  // linalg.depthwise_conv_2d_nhwc_hwc
  DwNhwcHwcm, // linalg.depthwise_conv_2d_nhwc_hwcm (tosa-to-linalg-named)
  DwNchwChw,  // linalg.depthwise_conv_2d_nchw_chw
  // Grouped (also matchDepthwiseAsFullyConnected): block diagonal
  // [G*F, G*C*KH*KW], row g*F+f reading only group g's C channels.
  GNgchwFgchw, // linalg.conv_2d_ngchw_fgchw, output NGFHW
  GNgchwGfchw, // linalg.conv_2d_ngchw_gfchw, output NGFHW
  GNhwgcGfhwc, // linalg.conv_2d_nhwgc_gfhwc, output NHWGF
};

/// A 2-D convolution computed as a fully connected layer over im2col
/// patches: f32, static shapes, any batch. The weight is the filter viewed
/// as [F, C*KH*KW] (NCHW: reduction order (c, kh, kw); NHWC: (kh, kw, c)),
/// or [KH*KW*C, F] for HWCF (weightKN). The FC "batch" is the output
/// positions of one kernel call: OH*OW for NCHW (one call per image: the
/// output is [N, F, OH*OW]), N*OH*OW for NHWC (one call: [N*OH*OW, F]).
struct ConvAsFullyConnected {
  ConvLayout layout = ConvLayout::NchwFchw;
  int64_t images = 1;
  int64_t channels = 0, filters = 0, kh = 0, kw = 0, oh = 0, ow = 0;
  int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t multiplier = 1; // depthwise: outputs per channel (F = C*M)
  int64_t groups = 1;     // grouped: G (channels = G*C, filters = G*F)
  FullyConnected fc; // outputs = F, reduction = C*KH*KW
  bool nhwc() const {
    return layout != ConvLayout::NchwFchw && layout != ConvLayout::DwNchwChw &&
           layout != ConvLayout::GNgchwFgchw &&
           layout != ConvLayout::GNgchwGfchw;
  }
  bool grouped() const {
    return layout == ConvLayout::GNgchwFgchw ||
           layout == ConvLayout::GNgchwGfchw ||
           layout == ConvLayout::GNhwgcGfhwc;
  }
  bool depthwise() const {
    return layout == ConvLayout::DwNhwcHwc ||
           layout == ConvLayout::DwNhwcHwcm || layout == ConvLayout::DwNchwChw;
  }
};

std::optional<ConvAsFullyConnected>
matchConvAsFullyConnected(linalg::LinalgOp op, unsigned filterOperand);

/// Whether nn-lower-kernels runs `conv` with a sparse (csr) filter without
/// im2col patches, its kernel reading the input in place: NCHW (full or
/// depthwise), one image, unit strides. (nn-prune's latency budgets then
/// charge no im2col copy to its sparse points.)
bool readsInputInPlace(const ConvAsFullyConnected &conv);

/// The output positions such a convolution `op` computes in place: a grid
/// as wide as its input, (OH-1)*W + OW (the kernel's batch).
int64_t inPlacePositions(linalg::LinalgOp op, const ConvAsFullyConnected &conv);

/// A depthwise or grouped convolution as an FC layer over the same im2col
/// patches as a full convolution (grouped: rows (g, c, kh, kw) or (g, kh,
/// kw, c)), with the block-diagonal weight of `layout`
/// (f32, static shapes, any batch). Not a match for nn-sparsify's format
/// choice (its weight is the filter, not the FC matrix).
std::optional<ConvAsFullyConnected>
matchDepthwiseAsFullyConnected(linalg::LinalgOp op);

/// The block-diagonal [C*M, C*KH*KW] FC weight of a depthwise filter
/// (row-major data of the filter operand).
std::vector<float> expandDepthwiseFilter(const ConvAsFullyConnected &conv,
                                         const std::vector<float> &filter);

/// Whether `reshape` (a tensor.collapse_shape or tensor.expand_shape) groups
/// the dimensions of its expanded side in order, each once. MLIR 22's
/// verifiers check the reassociation through affine maps made of the
/// indices truncated to 32 bits, so an index of 2^32 passes as 0
/// (test/Upstream/fuzz-parser-crashes.test): code that indexes shapes with
/// getReassociationIndices() checks this first.
bool hasValidReassociation(Operation *reshape);

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_LINALGUTILS_H
