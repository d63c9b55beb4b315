//===- PruneAttrs.td - Attributes of the prune dialect -----*- tablegen -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_DIALECT_PRUNE_PRUNEATTRS_TD
#define PRUNE_OPT_DIALECT_PRUNE_PRUNEATTRS_TD

include "prune-opt/Dialect/Prune/PruneBase.td"
include "prune-opt/Dialect/Prune/PruneEnums.td"

class Prune_DefaultEnumParameter<EnumAttrInfo info, string value>
    : EnumParameter<info> {
  let defaultValue = value;
}

class Prune_CountParameter<string desc>
    : DefaultValuedParameter<"int64_t", "0", desc>;

def Prune_DoubleParameter : APFloatParameter<"a real number (f64)"> {
  let parser = "::mlir::prune::detail::parseDouble($_parser)";
  let printer = "::mlir::prune::detail::printDouble($_printer, $_self)";
}

// A list of integers in brackets, "[1028, 40140, 80280]": comma-separated
// lists printed bare inside struct(params) would swallow the next
// parameter's name.
class Prune_IntListParameter<string desc> : ArrayRefParameter<"int64_t", desc> {
  let parser = "::mlir::prune::detail::parseIntList($_parser)";
  let printer = "::mlir::prune::detail::printIntList($_printer, $_self)";
}

class Prune_OptionalIntListParameter<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = "::mlir::prune::detail::parseIntList($_parser)";
  let printer = "::mlir::prune::detail::printIntList($_printer, $_self)";
}

def Prune_FormatParameter
    : AttrOrTypeParameter<"::pruneopt::kernels::Format",
                          "a storage format (Formats.def)"> {
  let parser = "::mlir::prune::detail::parseFormat($_parser)";
  let printer = "::mlir::prune::detail::printFormat($_printer, $_self)";
}

def Prune_ValueTypeParameter
    : AttrOrTypeParameter<"::pruneopt::kernels::ValueType",
                          "how stored values are typed (f32, bf16, f16, i8)"> {
  let parser = "::mlir::prune::detail::parseValueType($_parser)";
  let printer = "::mlir::prune::detail::printValueType($_printer, $_self)";
  let defaultValue = "::pruneopt::kernels::ValueType::F32";
}

def Prune_DecisionAttr : Prune_Attr<"Decision", "decision"> {
  let summary = "How a weight was pruned (written by nn-prune)";
  let description = [{
    Example:

    ```mlir
    %w = arith.constant {prune.decision = #prune.decision<name = "fc1.weight",
           criterion = magnitude, pattern = nm, n = 2, m = 4, scope = layer,
           sparsity = 5.000000e-01, zeros = 4096, elements = 8192>}
         dense_resource<fc1.weight_pruned> : tensor<64x128xf32>
    ```

    * `name`: the weight's name (its resource key, or its function argument
      name, without the `_pruned` suffix nn-prune gives the new resource);
      `nn-prune{only=...}`, `exclude=` and `layer-sparsity=` use it.
    * `criterion`, `pattern`, `scope`, `refit`: the options the weight was
      pruned with. `n`/`m` are set for `pattern = nm` only (`0 <= n < m`),
      `block_rows`/`block_cols` for `pattern = block` only (both > 0).
    * `sparsity`: the target the weight was pruned to; for `scope = global`
      and `adaptive`, the per-layer sparsity the allocation chose.
    * `zeros` / `elements`: what came out (`0 <= zeros <= elements`).
    * `predicted_bytes` / `predicted_ns`: set by a budget (`nn-prune`'s
      `budget-bytes` / `budget-latency`, one of them): the bytes of the
      weight's smallest format, or the predicted ns per inference of its
      fastest, by the cost model of `lib/Layout` (`>= 0`; 0 = not
      predicted). `nn-sparsify{format=auto}` follows that plan.
    * `value_type`: the value type a budget planned the weight's storage
      with (`nn-prune{budget-value-types}`; `f32` otherwise, not printed):
      `nn-sparsify` stores the weight's values as that type.

    Parameters equal to their defaults (`n`, `m`, `block_rows`,
    `block_cols`, `predicted_bytes`, `predicted_ns` = 0, `refit` = none,
    `value_type` = f32) are not printed.
  }];
  let parameters = (ins
    StringRefParameter<"the weight's name">:$name,
    EnumParameter<Prune_Criterion>:$criterion,
    EnumParameter<Prune_Pattern>:$pattern,
    Prune_CountParameter<"N of N:M">:$n,
    Prune_CountParameter<"M of N:M">:$m,
    Prune_CountParameter<"outputs per block">:$block_rows,
    Prune_CountParameter<"inputs per block">:$block_cols,
    EnumParameter<Prune_Scope>:$scope,
    Prune_DefaultEnumParameter<Prune_Refit, "::mlir::prune::Refit::None">:$refit,
    Prune_DoubleParameter:$sparsity,
    "int64_t":$zeros,
    "int64_t":$elements,
    Prune_CountParameter<"predicted bytes stored (budget)">:$predicted_bytes,
    Prune_CountParameter<"predicted ns per inference (budget)">:$predicted_ns,
    Prune_ValueTypeParameter:$value_type
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// zeros / elements (0 for an empty weight).
    double getAchievedSparsity() const;
    /// The target sparsity as a double.
    double getTargetSparsity() const { return getSparsity().convertToDouble(); }
  }];
}

def Prune_LayoutAttr : Prune_Attr<"Layout", "layout"> {
  let summary = "The storage chosen for a weight (written by nn-sparsify)";
  let description = [{
    Example:

    ```mlir
    %w = sparse_tensor.assemble (%pos, %crd), %val {
           prune.decision = #prune.decision<...>,
           prune.layout = #prune.layout<format = csr, index_bits = 8,
                                        bytes = 41, batch = 1>}
         : (tensor<4xi32>, tensor<5xi32>), tensor<5xf32> to tensor<3x4xf32, #CSR>
    ```

    The layout is decided once, by `nn-sparsify` (the policy and cost model
    of `lib/Layout`), and every backend materializes it from the weight's
    values: on the CPU, `nn-lower-kernels` packs the kernel library's arrays
    for it. Between the passes the weight is an ordinary `sparse_tensor`
    value, so upstream's sparsifier still lowers whatever the kernels do not
    cover.

    * `format`: a selectable row of `include/prune-opt/Runtime/Formats.def`
      (`dense`, `csr`, `bitmask`, `bsr`, `nm`, `"csr-window"`: csr packed
      for the AVX-512 one-batch-row kernel, 16-row groups stepping through
      32-column windows of x; quoted, as names with a `-` print).
    * `value_type`: how the stored values are typed (nn-sparsify's
      `value-type`): `f32` (the default, not printed), `bf16`, `f16`, or
      `i8` (symmetric, one f32 scale per output row). The kernels widen
      them to f32 in registers; activations stay f32. Only `target = cpu`
      layouts have other value types than f32.
    * `target`: the device whose kernels the layout was chosen for and
      costed with (nn-sparsify's `target`): `cpu` (the default, not
      printed) or `gpu`. A `gpu` layout has a format with GPU kernels
      (`dense`, `csr`, `bsr`, `nm`) and no batched regime (the GPU kernels
      run those formats as they are at every batch).
    * `regime`: `batched` when the weight runs at batches from nn-sparsify's
      `csr-tiled-batch` on; `csr`, `csr-window`, `bitmask` and `nm` weights
      are then materialized as `csr-tiled` (256x256 tiles with u8 indices).
      Only those four formats have a batched layout.
    * `batch`: the largest batch (rows of x) the weight is used at.
    * `block_rows`/`block_cols` (`bsr`, both > 0) and `n`/`m` (`nm`,
      `0 <= n < m`): the structure the arrays are packed with.
    * `index_bits`: bits per stored index (8, 16, 32; 1 for bitmask, 2 for
      2:4; 8 for csr-window, whose u8 columns are within the window; 0 for
      dense); for weights left to the sparsifier, the encoding's
      coordinate width (0 = `index`).
    * `bytes`: bytes the kernel reads per call (0: no kernel layout).
    * `costs`: the cost model's predicted ns per call of each candidate
      format (keys are format names), by the CPU or the GPU cost model as
      `target` says.
  }];
  let parameters = (ins
    Prune_FormatParameter:$format,
    Prune_ValueTypeParameter:$value_type,
    Prune_DefaultEnumParameter<Prune_Target, "::mlir::prune::Target::Cpu">:$target,
    Prune_DefaultEnumParameter<Prune_Regime,
                               "::mlir::prune::BatchRegime::Single">:$regime,
    DefaultValuedParameter<"int64_t", "1", "largest batch">:$batch,
    Prune_CountParameter<"outputs per block (bsr)">:$block_rows,
    Prune_CountParameter<"inputs per block (bsr)">:$block_cols,
    Prune_CountParameter<"N of N:M (nm)">:$n,
    Prune_CountParameter<"M of N:M (nm)">:$m,
    Prune_CountParameter<"bits per index">:$index_bits,
    Prune_CountParameter<"bytes read per call">:$bytes,
    OptionalParameter<"::mlir::DictionaryAttr", "predicted ns per format">:$costs
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The format the backend packs: `format`, or csr-tiled for the
    /// batched regime.
    ::pruneopt::kernels::Format getMaterializedFormat() const;
    /// How the report names the index ("u8", "1-bit", "u8-tiled",
    /// "u8-window", "-").
    std::string getIndexName() const;
    /// The predicted cost of `format`, if the cost model computed one.
    std::optional<double> getCost(::pruneopt::kernels::Format format) const;
  }];
}

def Prune_GpuCallAttr : Prune_Attr<"GpuCall", "gpu_call"> {
  let summary = "A fully connected layer to run on the GPU (nn-lower-gpu's internal step)";
  let description = [{
    Example:

    ```mlir
    func.func private @prune_gpu_fc_0(memref<?x?xf32, strided<[?, ?], offset: ?>>,
                                      memref<?x?xf32, strided<[?, ?], offset: ?>>,
                                      memref<?xi32>, memref<?xi16>, memref<?xf32>,
                                      memref<?xf32>)
        attributes {prune.gpu_call = #prune.gpu_call<layout = "csr16",
                    rows = 256, cols = 784, batch = 1, flags = 2, bias = true,
                    array_bytes = [1028, 40140, 80280]>}
    ```

    `nn-lower-kernels{target=gpu}` replaces a fully connected layer by a
    call of such a declaration: arguments y ([batch, rows]) and x ([batch,
    cols]) as host memrefs of any strides, the weight's arrays in the GPU
    layout, and the bias. After bufferization and buffer deallocation
    (which do not know GPU ops), `nn-lower-gpu-calls` gives the declaration
    its body: device buffers, copies, the launches of the kernels in a
    `gpu.module` and the resident weights (docs/Design.md, "GPU backend").

    * `layout`: the GPU layout (include/prune-opt/GpuRuntime/GpuPlan.h:
      `dense`, `csr8|16|32`, `bsr8|16|32`, `nm24`, `nm`, and with
      `sparse-tensor-cores`, `sptc24f16|bf16`: 2:4 on the sparse tensor
      cores, whose two arrays, values and metadata, must have the packer's
      sizes for the shape).
    * `rows`, `cols`, `batch`: the layer's shape (all > 0).
    * `flags`: PRUNE_GPU_ACCUMULATE (1: y += x W^T) | PRUNE_GPU_RELU (2).
    * `bias`: whether the last argument is a bias of `rows` floats.
    * `array_bytes`: the size of each weight array argument (1 to 3).
    * `scalars`: bsr: block rows and columns; nm: n and m; sptc: none.
  }];
  let parameters = (ins
    StringRefParameter<"the GPU layout">:$layout,
    "int64_t":$rows,
    "int64_t":$cols,
    "int64_t":$batch,
    DefaultValuedParameter<"int64_t", "0", "accumulate | relu">:$flags,
    DefaultValuedParameter<"bool", "false", "a bias argument">:$bias,
    Prune_IntListParameter<"bytes of each array">:$array_bytes,
    Prune_OptionalIntListParameter<"bsr block / nm n, m">:$scalars
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // PRUNE_OPT_DIALECT_PRUNE_PRUNEATTRS_TD
