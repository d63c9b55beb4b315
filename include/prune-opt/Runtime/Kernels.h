//===- Kernels.h - Micro-kernels for pruned fully connected layers -*- C++ -*-//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The runtime half of `nn-lower-kernels`: y[b, o] (+)= sum_k x[b, k] W[o, k]
// for a constant W stored in one of the formats below, packed at compile
// time by the functions in this header and read by the `prune_fc_*` entry
// points that compiled models call (through MLIR's C interface,
// `_mlir_ciface_prune_mr_*`, one per row of Kernels.def; kernelCall() below
// tells the compiler how to call them). The library has no LLVM/MLIR
// dependency: an AOT-compiled model links only it. AVX-512 kernels are selected
// at run time for f32 values, AVX2 kernels for every value type where the CPU
// has AVX2, FMA and F16C (and for f32 without AVX-512); portable C++ kernels
// run everywhere else (and in tests, through prune_kernels_set_isa(0)).
//
// Formats (W is [O, K], "row" = output):
//   dense    values: panels of 16 outputs, [O/16][K][16], then the last
//            O % 16 outputs as [K][O % 16] (no padding).
//   csr      rowPtr[O+1] (i32), col[nnz] (the narrowest of u8 / u16 / i32
//            that holds K-1), values[nnz].
//   bitmask  rowPtr[O+1] (i32, into values), masks[O][ceil(K/16)] (u16: bit
//            j of mask c is W[o, 16c+j] != 0), packed values (+16 padding).
//            0.125 bytes of index per weight, any sparsity.
//   bsr      R x C blocks: rowPtr[O/R+1] (i32), col[nblocks] (block column;
//            u8, u16 or i32), values[nblocks][R][C].
//   csr-tiled  the batched layout of csr: W cut into blocks of 256 rows x
//            256 columns, visited block row by block row. Within a block,
//            the rows' entries are grouped by their count ("runs"), so that
//            the kernel's loop over one row's entries has the same trip
//            count as the previous row's (no branch mispredictions), and
//            the 256 columns of x the block reads stay in L1. Arrays:
//            meta (i32): [B+1] entry starts and [B+1] row-id starts of the
//            B block rows, then [B*T+1] run starts of the B*T blocks (T =
//            column tiles); runs (u16 pairs: entries per row, rows);
//            rowIds (u8, within the block row); col (u8, within the
//            tile); values.
//   csr-window  csr without gathers, for one batch row on AVX-512: the
//            rows in groups of 16 (one vector lane each) step together
//            through x. Each step reads a 32-column window of x (two
//            vectors; an in-register permute replaces the gather) and at
//            most one entry per row from it; the window moves right
//            between steps, to the group's next entry. Arrays: meta (i32):
//            [G+1] step starts and [G+1] entry starts of the G groups;
//            masks (u16, one per step: bit r = row r of the group has an
//            entry); shifts (u8, one per step: columns the window moves
//            before it; a move of more than 255 takes steps without
//            entries); col (u8, one per entry: its column within the
//            window, < 32); values in step order (+16 padding). With i8
//            values the steps come in pairs that share a window (up to two
//            entries per row from it, the first taken first): meta's step
//            starts count pairs; masks hold two u16 per pair, the low and
//            high halves of the interleaved mask (bit 2r / 2r + 1: row r's
//            first / second entry); shifts one per pair; an entry is one
//            u16 of values8 (column | value << 8; col empty), each pair's
//            entries ordered by row, then entry (+32 padding): one load
//            and one expansion (vpexpandw) put a pair's entries in their
//            rows' lanes, one window serves both. ~11 entries per step at
//            90 % (16 at 50 %; pairs take ~5 % more steps than single
//            steps): 2 bytes per entry in i8, 0.22 bytes per weight.
//   nm       N:M along K, exactly N entries per group (zeros padded):
//            values[O][K/M*N] (for 2:4 each row padded to 16 values); codes:
//            for 2:4, one u32 per 16 values holding 2-bit in-group offsets;
//            otherwise one u8 offset per value.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_RUNTIME_KERNELS_H
#define PRUNE_OPT_RUNTIME_KERNELS_H

#include <cstdint>
#include <string>
#include <vector>

namespace pruneopt::kernels {

/// The storage formats (one row each in Formats.def).
enum class Format {
#define PRUNE_FORMAT(Enum, Name, Selectable, Description) Enum,
#include "prune-opt/Runtime/Formats.def"
};
/// Number of formats.
constexpr int kNumFormats = 0
#define PRUNE_FORMAT(Enum, Name, Selectable, Description) +1
#include "prune-opt/Runtime/Formats.def"
    ;
/// The format's name in Formats.def ("dense", "csr", ...).
const char *formatName(Format format);
/// The format named `name`; false if there is none.
bool parseFormat(const char *name, Format &format);
/// Whether a user may request the format (Formats.def's Selectable).
bool isSelectable(Format format);

/// How a packed weight stores its values. Activations, accumulation and
/// outputs stay f32 in every case: the kernels widen the values in
/// registers.
///   f32   as pruned
///   bf16  rounded to nearest even, 16 bits (values16)
///   f16   IEEE half, rounded to nearest even, 16 bits (values16)
///   i8    symmetric per output row: W[o, k] = scales[o] * q, q in
///         [-127, 127] (values8; scales[o] = max_k |W[o, k]| / 127)
enum class ValueType { F32, BF16, F16, I8 };
constexpr int kNumValueTypes = 4;
/// "f32", "bf16", "f16", "i8".
const char *valueTypeName(ValueType type);
bool parseValueType(const char *name, ValueType &type);
/// Bytes of one stored value.
int valueBytes(ValueType type);

/// Rows and columns of one csr-tiled block.
constexpr int64_t kTileRows = 256, kTileCols = 256;

/// A weight packed for one of the kernels.
struct PackedWeight {
  Format format = Format::Dense;
  int64_t rows = 0, cols = 0;           // O, K
  int64_t blockRows = 1, blockCols = 1; // bsr
  int64_t n = 0, m = 0;                 // nm
  int colBits = 16;                     // csr/bsr column index: u8, u16 or i32
  ValueType valueType = ValueType::F32; // which of the value arrays is used
  std::vector<float> values;            // f32 values, every format
  std::vector<uint16_t> values16;       // bf16 / f16 values (their bits)
  std::vector<int8_t> values8;          // i8 values
  std::vector<float> scales;            // i8: one per output row
  std::vector<int32_t> rowPtr;          // csr, bitmask, bsr
  std::vector<uint8_t> col8;            // csr, bsr (colBits 8), csr-tiled
  std::vector<uint16_t> col16;          // csr, bsr (colBits 16)
  std::vector<int32_t> col32;           // csr, bsr (colBits 32)
  std::vector<uint16_t> masks;          // bitmask
  std::vector<uint8_t> codes;           // nm
  std::vector<int32_t> meta;            // csr-tiled: entry, row-id, run starts
  std::vector<uint16_t> runs;           // csr-tiled: (entries, rows) pairs
  std::vector<uint8_t> rowIds;          // csr-tiled: one per (row, tile) visit
  std::vector<uint8_t> shifts;          // csr-window: window moves per step
  int64_t nnz = 0; // stored entries (before padding)

  /// Bytes the kernel reads for the weight (values + indices + positions).
  int64_t bytes() const;
};

/// Packs the row-major W[rows, cols]. packBSR fails (returns false) when
/// the shape is not a multiple of the block; packNM when some group of m
/// has more than n nonzeros or cols % m != 0.
PackedWeight packDense(const float *w, int64_t rows, int64_t cols);
PackedWeight packCSR(const float *w, int64_t rows, int64_t cols);
/// csr for batched inputs (see csr-tiled above): ~15 % smaller than csr
/// (u8 columns) and ~1.5x faster from 8 batch rows on.
PackedWeight packTiledCSR(const float *w, int64_t rows, int64_t cols);
PackedWeight packBitmask(const float *w, int64_t rows, int64_t cols);
/// csr for one batch row on AVX-512 (see csr-window above): no gathers,
/// ~1.5x faster than csr at 90 % and 0.23 bytes per weight in i8.
PackedWeight packWindowCSR(const float *w, int64_t rows, int64_t cols);
bool packBSR(const float *w, int64_t rows, int64_t cols, int64_t r, int64_t c,
             PackedWeight &out);
bool packNM(const float *w, int64_t rows, int64_t cols, int64_t n, int64_t m,
            PackedWeight &out);

/// The values a weight of `type` stores for the row-major W[rows, cols]
/// (see ValueType): for bf16 and f16, W rounded to that type (as f32); for
/// i8, the integers q (as f32) with `scales` set to the rows' scales. A
/// packer given this matrix and then narrowValues() give the packed weight
/// of that type. Zeros stay zeros; a value that rounds to 0 becomes one.
std::vector<float> quantizeValues(const float *w, int64_t rows, int64_t cols,
                                  ValueType type, std::vector<float> &scales);
/// W as a weight of `type` computes with: quantizeValues() scaled back (the
/// reference the kernels of that type are tested against).
std::vector<float> dequantized(const float *w, int64_t rows, int64_t cols,
                               ValueType type);
/// Converts the f32 values of `p`, packed from quantizeValues(), to `type`
/// (values16 / values8 and scales), dropping the f32 array.
void narrowValues(PackedWeight &p, ValueType type, std::vector<float> scales);
/// f32 <-> the 16-bit formats, rounding to nearest even (NaN kept).
uint16_t toBF16(float v);
float fromBF16(uint16_t bits);
uint16_t toF16(float v);
float fromF16(uint16_t bits);

/// One array argument of a kernel entry point (a row of Kernels.def).
struct KernelArray {
  const char *suffix; ///< of the constant's resource name: "_values", ...
  int elementBits;    ///< 8, 16 or 32
  bool isFloat;       ///< f32; otherwise a signless integer of elementBits
  bool isSigned;      ///< how the integers read (i32 vs u8 / u16)
  const void *data;   ///< into the PackedWeight
  int64_t size;
  const float *floats() const { return static_cast<const float *>(data); }
  /// Element i of an integer array.
  int64_t intAt(int64_t i) const {
    switch (elementBits) {
    case 8:
      return isSigned ? int64_t(static_cast<const int8_t *>(data)[i])
                      : int64_t(static_cast<const uint8_t *>(data)[i]);
    case 16:
      return isSigned ? int64_t(static_cast<const int16_t *>(data)[i])
                      : int64_t(static_cast<const uint16_t *>(data)[i]);
    default:
      return isSigned ? int64_t(static_cast<const int32_t *>(data)[i])
                      : int64_t(static_cast<const uint32_t *>(data)[i]);
    }
  }
};

/// The call of a packed weight's kernel, as compiled models make it:
/// prune_mr_<symbol>(y, x, arrays..., scalars... (i64), flags (i32), bias)
/// (Kernels.def).
struct KernelCall {
  std::string symbol;              ///< "prune_mr_dense", "prune_mr_csr8", ...
  std::vector<KernelArray> arrays; ///< in argument order
  std::vector<int64_t> scalars;    ///< the i64 arguments, in order
};
/// The call for `w` (its arrays point into w).
KernelCall kernelCall(const PackedWeight &w);

/// Runs y (+)= x W^T with the raw arrays of `w`; x is [batch, cols] with
/// row stride `xStride`, y is [batch, rows] with row stride `yStride`.
void run(const PackedWeight &w, const float *x, int64_t xStride, float *y,
         int64_t yStride, int64_t batch, bool accumulate);
/// The same with any strides: x(b, k) = x[b*xs + k*xk], y(b, o) =
/// y[b*ys + o*yo] (e.g. transposed inputs and outputs of im2col).
/// `bias` (one per output, may be null) is added and `relu` applied after
/// the product (and after accumulating).
void runStrided(const PackedWeight &w, const float *x, int64_t xs, int64_t xk,
                float *y, int64_t ys, int64_t yo, int64_t batch,
                bool accumulate, const float *bias = nullptr,
                bool relu = false);

} // namespace pruneopt::kernels

extern "C" {
/// Threads the kernels may use (default: PRUNE_NUM_THREADS, else all
/// hardware threads). Small layers always run on the calling thread.
void prune_kernels_set_num_threads(int32_t n);
int32_t prune_kernels_get_num_threads();
/// Wakes the worker threads so that they wait spinning (for ~2 ms) for the
/// next call: a sleeping thread takes ~100 us to wake on some VMs. Calls
/// never wait for a late worker (chunks are claimed dynamically).
void prune_kernels_warm_up();
/// Which kernels run: 1 = the best the CPU has (default: AVX-512 for f32
/// values, else AVX2 + FMA + F16C, else portable), 2 = at most AVX2 (tests
/// of the AVX2 kernels on AVX-512 machines), 3 = AVX-512 without the
/// kernels that need VBMI2 or VPOPCNTDQ (tests of what CPUs before Ice
/// Lake run), 0 = portable kernels.
void prune_kernels_set_isa(int32_t isa);
/// Whether the AVX-512 (f32 values) / AVX2 kernels run now.
int32_t prune_kernels_has_avx512();
int32_t prune_kernels_has_avx2();
/// Multiply-adds below which a call stays on one thread (tests set 0).
void prune_kernels_set_parallel_threshold(double work);

// Raw entry points (the C-interface wrappers call these): x(b, k) =
// x[b*xs + k*xk], y(b, o) = y[b*ys + o*yo]. Index arrays: `col` holds
// `colBits`-bit entries (8 and 16 unsigned, 32 signed). `flags`:
// PRUNE_ACCUMULATE adds to y instead of overwriting it; then `bias` (one per
// output row o, or null) is added, and PRUNE_RELU applies max(0, v) (NaN
// kept) -- the epilogue nn-lower-kernels fuses from the ops after a layer.
// The kernels apply it in registers, where they store each output (once).
// The C interface (_mlir_ciface_prune_mr_*) takes the same arrays as
// memrefs; a bias memref of size 0 means none.
enum { PRUNE_ACCUMULATE = 1, PRUNE_RELU = 2 };
void prune_fc_dense(float *y, int64_t ys, int64_t yo, const float *x,
                    int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                    int64_t cols, const float *panels, int32_t flags,
                    const float *bias);
void prune_fc_csr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                  int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                  const int32_t *rowPtr, const void *col, int32_t colBits,
                  const float *values, int32_t flags, const float *bias);
void prune_fc_csr_tiled(float *y, int64_t ys, int64_t yo, const float *x,
                        int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                        int64_t cols, const int32_t *meta, const uint16_t *runs,
                        const uint8_t *rowIds, const uint8_t *col,
                        const float *values, int32_t flags, const float *bias);
void prune_fc_csr_window(float *y, int64_t ys, int64_t yo, const float *x,
                         int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                         int64_t cols, const int32_t *meta,
                         const uint16_t *masks, const uint8_t *shifts,
                         const uint8_t *col, const float *values, int32_t flags,
                         const float *bias);
void prune_fc_bitmask(float *y, int64_t ys, int64_t yo, const float *x,
                      int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                      int64_t cols, const int32_t *rowPtr,
                      const uint16_t *masks, const float *values, int32_t flags,
                      const float *bias);
void prune_fc_bsr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                  int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                  int64_t r, int64_t c, const int32_t *rowPtr, const void *col,
                  int32_t colBits, const float *values, int32_t flags,
                  const float *bias);
void prune_fc_nm(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                 int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                 int64_t n, int64_t m, const uint8_t *codes,
                 const float *values, int32_t flags, const float *bias);
}

#endif // PRUNE_OPT_RUNTIME_KERNELS_H
