//===- Passes.td - prune-opt pass declarations -------------*- tablegen -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_TRANSFORMS_PASSES
#define PRUNE_OPT_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def NNPrune : Pass<"nn-prune", "mlir::ModuleOp"> {
  let summary = "Prune the constant weights that feed contractions";
  let description = [{
    Finds every constant weight consumed by a contraction (matmul, batch_matmul,
    matvec, vecmat, convolutions, contraction-shaped `linalg.generic`) through
    transposes, broadcasts, reshapes, casts and calls to private functions
    (see `WeightAnalysis`), and zeroes exactly `round(sparsity * n)` of its
    elements (existing zeros count; ties broken by element index).

    The pruned values are written back as a new `dense_resource` blob (no
    `DenseElementsAttr` is created for a weight) and the decision is recorded
    on the constant as a typed attribute of the `prune` dialect
    (docs/PruneDialect.md):

    ```mlir
    %w = arith.constant {prune.decision = #prune.decision<name = "fc1",
           criterion = magnitude, pattern = unstructured, scope = layer,
           sparsity = 8.000000e-01, zeros = 38400, elements = 48000>}
         dense_resource<fc1_pruned> : tensor<120x400xf32>
    ```

    `zeros` is the achieved count (it can exceed the target when the weight
    already had more zeros).

    Structured patterns see each weight as a matrix W[out, in] (output
    dimensions first, reduction dimensions last, each in their own order;
    a conv filter FCHW is F x (C*KH*KW)). `pattern=nm` keeps the n largest
    of every m consecutive inputs of each output (weights whose reduction
    size is not a multiple of m are left untouched, with a remark);
    `pattern=block` removes `round(sparsity * blocks)` whole `block`-shaped
    blocks, `pattern=channel` `round(sparsity * outputs)` whole outputs,
    both by lowest mean squared score (so with `scope=global` layers of
    different sizes compete fairly). The decision records `n`/`m` or
    `block_rows`/`block_cols`. With `scope=global`, all weights without a
    `layer-sparsity` override share one threshold on their scores and
    `round(sparsity * total)` zeros; it is found without holding the
    scores (passes over the weights that keep a histogram of them, then
    one bucket's scores), so memory stays that of the layer scope. Bad option values, NaN/Inf weights and
    missing resource data are errors with a location.

    `scope=adaptive` (the "adaptive allocation" of the literature; `layer`
    is uniform allocation) measures, for every weight and every sparsity on
    a 5 % grid up to 98 %, the relative reconstruction error
    ||(W - W')X^T||^2 / ||W X^T||^2 of the chosen criterion on the
    calibration data, then raises layer sparsities greedily, always where
    the next step costs the least error per removed weight, until the
    weights together hold exactly round(sparsity * total) zeros. The chosen
    sparsity of every layer is its recorded `sparsity`. (It keeps only the
    curves: a first pass over the weights computes them one weight at a
    time, a last pass prunes each weight at its chosen sparsity.)

    `budget-bytes=F` / `budget-latency=F` replace the sparsity by a cost
    budget: the same error curves (with the Hessian of `nn-calibrate` when
    the weight has one, else the magnitude proxy ||W - W'||^2 / ||W||^2),
    and for every grid point the bytes of the weight's smallest format
    (budget-bytes) or the ns of its fastest (budget-latency, by the kernel
    cost model of `isa`); a greedy on error added per byte (ns) saved picks
    per-layer sparsities whose total is at most F x the dense total, then
    steps layers back while the budget allows. A bytes total includes the
    model's other constants (biases; not splats), which stay; a latency
    total includes the predicted time of the model's work outside the
    weights' kernels (other linalg ops such as pooling and softmax, a
    constant per model call and per kernel call), which stays whatever the
    sparsities; a convolution's
    im2col copy counts at its dense points only when its sparse filter
    reads the input in place (see nn-lower-kernels). The decision records
    `scope = adaptive` and `predicted_bytes` (budget-bytes) or
    `predicted_ns` (budget-latency), and nn-sparsify{format=auto} follows
    the plan: the smallest format for a weight with `predicted_bytes`, the
    fastest for one with `predicted_ns`. A budget's grid adds 96 % and 97 %
    and goes on to 99 % and 99.5 %; a budget out of reach at 99.5 % per
    layer is an error.

    Data-aware criteria read the statistics `nn-calibrate` attached to each
    weight (`nn.calib`; a weight without them is an error): `obd` and
    `wanda` only score (with `pattern=unstructured`, `wanda` keeps the same
    number of weights in every output, as Wanda does), `sparsegpt`
    (unstructured or N:M, layer or adaptive scope) also updates the kept
    weights to compensate, `obs` does the same with exact greedy OBS per
    output row for layers with at most `obs-exact-max` inputs (rows then
    share the layer's removals by their loss increments; larger layers and
    N:M fall back to sparsegpt), and `refit=lsq` re-solves the kept weights
    of every output by least squares after any criterion.

    Weights are named by their `NameLoc`, else their resource key, else
    `w<N>` (N = position in the order the contractions appear); `exclude` and `layer-sparsity` match a weight when
    the pattern equals its name or id, is a substring of its name or
    location, or equals its consumer's op name (e.g. `linalg.conv_2d_nchw_fchw`).

    Example: `prune-opt --nn-prune="sparsity=0.8 scope=global exclude=linalg.conv_2d_nchw_fchw" m.mlir`
  }];
  let options = [
    Option<"sparsity", "sparsity", "double", "0.5",
           "Fraction of the elements of each weight to set to zero (0 <= s < 1)">,
    Option<"criterion", "criterion", "mlir::prune::Criterion",
           "mlir::prune::Criterion::Magnitude",
           "Which elements to remove first",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::Criterion::Magnitude, "magnitude",
                        "Smallest |w| first"),
             clEnumValN(mlir::prune::Criterion::Random, "random",
                        "Uniformly random (see `seed`)"),
             clEnumValN(mlir::prune::Criterion::OBD, "obd",
                        "Optimal Brain Damage: 1/2 H_qq w_q^2 (needs "
                        "nn-calibrate)"),
             clEnumValN(mlir::prune::Criterion::Wanda, "wanda",
                        "|W_ij| * ||X_j||, compared within each output "
                        "(needs nn-calibrate)"),
             clEnumValN(mlir::prune::Criterion::SparseGPT, "sparsegpt",
                        "Optimal Brain Surgeon as in SparseGPT, with weight "
                        "update (needs nn-calibrate)"),
             clEnumValN(mlir::prune::Criterion::OBS, "obs",
                        "Exact greedy OBS per output row (Optimal Brain "
                        "Compression) for layers with at most obs-exact-max "
                        "inputs, sparsegpt for larger ones and for N:M "
                        "(needs nn-calibrate)"),
             clEnumValN(mlir::prune::Criterion::Activation, "activation",
                        "Outputs whose activations (after bias and "
                        "activation function) have the lowest mean |a| "
                        "(pattern=channel; needs nn-calibrate)"),
             clEnumValN(mlir::prune::Criterion::Entropy, "entropy",
                        "Outputs whose activation histogram has the lowest "
                        "entropy (pattern=channel; needs nn-calibrate)"))}]>,
    Option<"refit", "refit", "mlir::prune::Refit", "mlir::prune::Refit::None",
           "Update the kept weights after choosing the mask",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::Refit::None, "none", "No update"),
             clEnumValN(mlir::prune::Refit::LSQ, "lsq",
                        "Least-squares refit of each output's kept weights "
                        "on the calibration data (needs nn-calibrate)"))}]>,
    Option<"damp", "damp", "double", "0.01",
           "Dampening of OBS and of the least-squares refit: fraction of the "
           "mean Hessian diagonal added to it (regularizes few calibration "
           "samples; the refit's pulls the kept weights toward their "
           "original values)">,
    Option<"refitTolerance", "refit-tolerance", "double", "1e-4",
           "refit=lsq: the conjugate gradients of rows with many kept "
           "weights stop when each of a row's last two steps lowered its "
           "loss (on the pruned side: raised its bound of the optimum) by "
           "at most this fraction of it (larger: fewer steps on large "
           "layers, further from the exact refit)">,
    Option<"obsExactMax", "obs-exact-max", "int64_t", "512",
           "criterion=obs: exact OBS for layers with at most this many "
           "inputs (cost rows * inputs^3)">,
    Option<"obsBlock", "obs-block", "int64_t", "16",
           "OBS: columns per mask-selection / lazy-update block">,
    Option<"seed", "seed", "uint64_t", "0",
           "Seed of the random criterion">,
    Option<"pattern", "pattern", "mlir::prune::PrunePattern",
           "mlir::prune::PrunePattern::Unstructured",
           "Granularity of what is removed",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::PrunePattern::Unstructured, "unstructured",
                        "Any element"),
             clEnumValN(mlir::prune::PrunePattern::NM, "nm",
                        "N:M: at most n of every m consecutive inputs of an "
                        "output are kept (sparsity fixed at 1 - n/m)"),
             clEnumValN(mlir::prune::PrunePattern::Block, "block",
                        "Whole blocks (see `block`) of W[out, in], by mean "
                        "squared score"),
             clEnumValN(mlir::prune::PrunePattern::Channel, "channel",
                        "Whole outputs (FC rows, conv filters), by mean "
                        "squared score"))}]>,
    Option<"nmN", "n", "unsigned", "2", "N of N:M: weights kept per group">,
    Option<"nmM", "m", "unsigned", "4",
           "M of N:M: group size along the reduction dimension">,
    Option<"block", "block", "std::string", "\"4x1\"",
           "Block shape OUTxIN over W[out, in] for pattern=block">,
    Option<"scope", "scope", "mlir::prune::Scope", "mlir::prune::Scope::Layer",
           "Where the sparsity target applies",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::Scope::Layer, "layer",
                        "Every weight gets the target sparsity"),
             clEnumValN(mlir::prune::Scope::Global, "global",
                        "One threshold over all prunable weights together"),
             clEnumValN(mlir::prune::Scope::Adaptive, "adaptive",
                        "Per-layer sparsities that reach the overall target "
                        "with the least total relative reconstruction error "
                        "(needs nn-calibrate; unstructured)"))}]>,
    Option<"budgetBytes", "budget-bytes", "double", "0.0",
           "Instead of a sparsity: per-layer sparsities whose bytes in "
           "their smallest format (which nn-sparsify{format=auto} then "
           "stores), plus the model's other constants (biases), total at "
           "most this fraction (0 < F <= 1) of the dense model's bytes, "
           "with the least relative error (0 = no budget)">,
    Option<"budgetLatency", "budget-latency", "double", "0.0",
           "Instead of a sparsity: per-layer sparsities whose predicted ns "
           "(the kernel cost model of the format nn-sparsify{objective="
           "latency} picks), plus the model's predicted work outside the "
           "weights' kernels, total at most this fraction (0 < F <= 1) of "
           "the dense model's ns, with the least relative error "
           "(0 = no budget)">,
    ListOption<"budgetValueTypes", "budget-value-types", "std::string",
               "With a budget: the value types (f32, bf16, f16, i8) each "
               "layer may be stored with; the allocation weighs their bytes "
               "or ns against the error of pruning plus rounding, and "
               "nn-sparsify stores the chosen one (default: all four)">,
    Option<"budgetIsa", "isa", "mlir::prune::IsaOption",
           "mlir::prune::IsaOption::Host",
           "budget-latency: the kernels the cost model predicts (as "
           "nn-sparsify's isa)",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::IsaOption::Host, "host", "This machine's"),
             clEnumValN(mlir::prune::IsaOption::Avx512, "avx512", "AVX-512"),
             clEnumValN(mlir::prune::IsaOption::Avx2, "avx2", "AVX2"),
             clEnumValN(mlir::prune::IsaOption::Portable, "portable",
                        "Portable C++"))}]>,
    Option<"minElements", "min-elements", "int64_t", "0",
           "Leave weights with fewer elements than this untouched">,
    ListOption<"only", "only", "std::string",
               "Prune only these weights (exact id `w<N>` or name)">,
    ListOption<"exclude", "exclude", "std::string",
               "Weights to leave untouched (name, id, location substring or consumer op name)">,
    ListOption<"layerSparsity", "layer-sparsity", "std::string",
               "Per-weight overrides `PATTERN:SPARSITY` (e.g. `w0:0.5,linalg.matmul:0.9`)">
  ];
  let statistics = [
    Statistic<"numWeightsPruned", "num-weights-pruned", "Number of weights pruned">,
    Statistic<"numZeros", "num-zeros", "Number of zero elements in the pruned weights">
  ];
  let dependentDialects = ["mlir::prune::PruneDialect"];
}

def NNCalibrate : Pass<"nn-calibrate", "mlir::ModuleOp"> {
  let summary = "Record input statistics of every weight by running the model";
  let description = [{
    Runs the model in the compiler (JIT, through the project's execution
    library) on calibration inputs and records, for every weight, the Gram
    matrix of its layer inputs H = X^T X (float64, over all calibration rows;
    a conv contributes one row per output position, i.e. its im2col
    patches), in the weight's W[out, in] column order. The statistics are
    attached to the weight as `nn.calib = {gram = dense_resource<...> :
    tensor<CxCxf64>, rows = R, samples = S}`, so the data-aware criteria of
    `nn-prune` (`obd`, `wanda`, `sparsegpt`, `refit=lsq`) stay pure
    functions of the IR.

    Inputs: `images=` (idx3, with `preprocess=` as in prune-run) or
    `inputs=` (one .npy per entry argument, leading batch axis); samples
    [`first`, `first + limit`). Weights whose consumer is not in the entry
    function's body, that reach it through anything but transposes and
    casts, or that have batch-like dimensions are skipped with a remark.
    Errors (unreadable file, wrong shape, NaN data) have a location.
    Progress goes to stderr for runs longer than a second.

    Sequential mode (`sequential-prune=OPTIONS`, as SparseGPT does): for
    each weight in model order, calibrate on the current (partly pruned)
    model, then run `nn-prune{OPTIONS only=<that weight>}`, so every layer
    compensates for the errors of the pruned layers before it.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"\"",
           "Entry function (default: the first public function)">,
    ListOption<"inputs", "inputs", "std::string",
               "One .npy per entry argument, leading batch axis">,
    Option<"images", "images", "std::string", "\"\"",
           "MNIST-style idx3 images (.gz ok)">,
    Option<"preprocess", "preprocess", "std::string", "\"scale=255\"",
           "Image preprocessing: scale=,mean=,std=,pad=,layout=nchw|nhwc">,
    Option<"first", "first", "int64_t", "0", "First calibration sample">,
    Option<"limit", "limit", "int64_t", "256", "Number of calibration samples">,
    Option<"maxMemoryMiB", "max-memory-mib", "int64_t", "0",
           "Refuse to start when the statistics (one cols x cols Gram "
           "matrix per weight: a double total plus a float partial sum, "
           "12 bytes per entry) need more than this many MiB "
           "(0: half the machine's physical memory)">,
    Option<"sequentialPrune", "sequential-prune", "std::string", "\"\"",
           "Sequential mode: nn-prune options (e.g. 'sparsity=0.8 "
           "criterion=sparsegpt'); weights are calibrated and pruned one at "
           "a time in model order, each on the outputs of the already pruned "
           "layers before it">
  ];
  // The JIT lowers a clone of the module: every dialect on the way to LLVM
  // must be loaded before the pass runs.
  let dependentDialects = [
    "mlir::prune::PruneDialect",
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::bufferization::BufferizationDialect", "mlir::cf::ControlFlowDialect",
    "mlir::func::FuncDialect", "mlir::index::IndexDialect",
    "mlir::linalg::LinalgDialect", "mlir::LLVM::LLVMDialect",
    "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::sparse_tensor::SparseTensorDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect",
    "mlir::complex::ComplexDialect", "mlir::ub::UBDialect"
  ];
  let statistics = [
    Statistic<"numCalibrated", "num-calibrated", "Number of weights with statistics">
  ];
}

def NNShrinkChannels : Pass<"nn-shrink-channels", "mlir::ModuleOp"> {
  let summary = "Remove pruned output channels from the graph";
  let description = [{
    For every weight pruned with `pattern=channel`, removes its all-zero
    outputs from the graph: the weight loses those rows, the producer's
    result and init (fill / broadcast bias) lose those channels, and so do
    the ops that carry them to the next contraction — elementwise
    `linalg.generic`s (bias add, activation; their per-channel constants are
    sliced), NCHW pooling, and `tensor.collapse_shape` (a flattened channel
    is a block of features) — and the next contraction's weight loses the
    matching input slices. The result is a smaller dense model.

    A removed channel must contribute nothing for this to preserve the
    masked model: its bias is removed with it, so the shrunk model equals
    the masked model with those channels' outputs zeroed (which is what
    `zero-only=true` produces: it zeroes the dead channels' biases and
    changes no shape — the reference for equivalence tests). Where removal
    cannot be proven safe (a result with several users, e.g. a residual
    add; an op it cannot see through; the end of the function) the weight is
    left alone with a remark saying why. Transposed weights must be folded
    first (`--nn-fold-weight-transposes`).
  }];
  let options = [
    Option<"zeroOnly", "zero-only", "bool", "false",
           "Only zero the dead channels' biases (no shape change)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numChannelsRemoved", "num-channels-removed", "Output channels removed">
  ];
}

def NNSparsify : Pass<"nn-sparsify", "mlir::ModuleOp"> {
  let summary = "Give pruned weights a sparse_tensor encoding, compressed at compile time";
  let description = [{
    For every weight that `nn-prune` pruned (it carries `nn.prune`), rewrites
    each contraction that consumes it to take a `sparse_tensor`-encoded
    operand built by `sparse_tensor.assemble` from constant positions,
    coordinates and values arrays (computed here, at compile time), so the
    generated code neither converts at run time nor needs the sparse runtime
    library.

    The level order puts the weight's output dimensions first and its
    reduction dimensions last (so a `[in, out]` matmul operand is stored as
    CSC, i.e. CSR of `W[out, in]`, and the kernel is a sparse dot product per
    output); output dimensions are `dense`, reduction dimensions `compressed`.
    Transposes and reshapes between the constant and the consumer are folded
    into the assembled operand. Weights reached through a broadcast or a
    call are left dense with a remark.

    The layout is decided here, once, and recorded as
    `prune.layout = #prune.layout<...>` (format, batch regime, block or N:M
    structure, index width, bytes, predicted costs; docs/PruneDialect.md)
    on the assembled value, which also carries the weight's
    `#prune.decision`; weights kept dense get `#prune.layout<format =
    dense>`. Backends materialize that layout and never decide again. For
    fully connected uses (and convolutions, which run as FC over im2col)
    the candidates are the kernel formats of `nn-lower-kernels`: dense,
    csr, csr-window (with `isa=avx512`, below `csr-tiled-batch`), bitmask,
    and bsr / nm for block / N:M pruned weights (`formats` narrows them),
    costed by the kernel cost model of `lib/Layout` (the same library
    prune-bench uses); from `csr-tiled-batch` batch rows on, csr,
    csr-window, bitmask and nm use their batched layout (csr-tiled,
    `regime = batched`).

    `format=auto` (the default) decides per weight with a cost model
    calibrated on this project's measurements (docs/Design.md): for every
    use, with R the number of times the consumer reuses each weight element
    (batch x output positions) and the weight "resident" when it fits in
    `cache-kib`,
      dense = n * max(R * c_mac, resident ? 0 : c_mem)
      csr   = nnz * R * c_nnz * (conv-like CSF ? 3 : 1) + outputs * R * 2 ns
    with c_mac = 0.10 ns (R = 1) or 0.25 ns, c_mem = 0.45 ns per element,
    c_nnz = 0.5 ns (resident, R = 1), 1.2 ns (from memory, R = 1) or
    0.75 ns (R > 1). The estimates are recorded as the layout's `costs`.

    The kernel terms are fitted on the AVX-512 kernels; `isa=portable`
    (the default on a machine without AVX-512, `isa=host`) scales each
    format's compute term by how much slower the portable kernels measured
    (dense 14.5x at batch 1, csr 2x, ...; `lib/Layout/Layout.cpp`), so that
    the choice is right for the CPU the model will run on. Pass `isa=` for
    another deployment CPU.

    What `auto` picks from the predictions (`objective`): `size` (the
    default) takes, among the formats predicted not slower than dense
    within the model's error (cost <= (1 + `margin`) x dense's), the one
    that stores the fewest bytes, so a pruned model gets smaller whenever
    that does not cost speed (formats within `size-slack`, 5 %, of the
    fewest bytes count as equal, and the fastest of them is taken: at 90 %
    bitmask and csr-window differ by under 1 % in size and severalfold in
    speed at batch 1); `latency` takes the fastest, a sparse format
    only if below (1 - `margin`) x dense's cost. `format=csr` compresses every
    pruned weight at least `min-sparsity` sparse; `format=dense` none.

    `target=gpu` chooses for the GPU kernels of `lib/GpuRuntime` instead
    (the layout records `target = gpu`): the candidates are the formats
    with GPU kernels (dense, csr, bsr, nm; never the batched regime),
    costed by the GPU cost model of `lib/Layout` for `gpu-chip` (launches,
    HBM or L2 bandwidth and latency, the warps in flight, idle lanes of
    short rows, the busiest warp, FLOPs of dense at batch > 1; dense is the
    faster of the project's kernels and cuBLAS), with the same `objective`
    and `margin`. Its constants are public chip specifications and
    estimates, not measurements (docs/Design.md). The CPU options (`isa`,
    `bandwidth-gbs`, `cache-kib`, `csr-tiled-batch`) do not apply;
    `format=bitmask` is an error (no GPU kernels). With `format=auto`,
    weights that are not only used by fully connected layers and
    convolutions stay dense (remark).
  }];
  let options = [
    Option<"format", "format", "mlir::prune::FormatOption",
           "mlir::prune::FormatOption::Auto", "Storage of pruned weights "
           "(auto or a row of include/prune-opt/Runtime/Formats.def)",
           [{mlir::prune::formatOptionValues()}]>,
    Option<"valueType", "value-type", "std::string", "\"f32\"",
           "How the kernel layouts store the weights' values: f32, bf16, "
           "f16, i8 (symmetric, one scale per output row) or auto (with "
           "format=auto, the (format, value type) pair the objective "
           "prefers among value-types; with a format, the smallest of "
           "value-types predicted not slower than the widest)">,
    ListOption<"valueTypesAllowed", "value-types", "std::string",
               "value-type=auto: the value types it may choose (default: "
               "f32,bf16,f16,i8)">,
    ListOption<"autoFormats", "formats", "std::string",
               "format=auto: the formats it may choose besides dense "
               "(default: all; e.g. formats=csr,bitmask for layouts that "
               "run everywhere: csr-window's kernel is AVX-512 only)">,
    Option<"csrTiledBatch", "csr-tiled-batch", "int64_t",
           "::mlir::prune::layout::kDefaultTiledFromBatch",
           "csr, bitmask and nm weights of layers run at this batch or "
           "more get the batched layout (csr-tiled); 0 = never">,
    Option<"objective", "objective", "mlir::prune::layout::Objective",
           "mlir::prune::layout::Objective::Size",
           "What format=auto optimizes",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::layout::Objective::Size, "size",
                        "Among the formats predicted not slower than dense "
                        "(within `margin`), the smallest"),
             clEnumValN(mlir::prune::layout::Objective::Latency, "latency",
                        "The fastest predicted; a sparse format only if "
                        "faster than dense by `margin`"))}]>,
    Option<"targetIsa", "isa", "mlir::prune::IsaOption",
           "mlir::prune::IsaOption::Host",
           "The kernels the cost model predicts (the deployment CPU's)",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::IsaOption::Host, "host",
                        "This machine's: AVX-512 if it has it, else AVX2, "
                        "else portable"),
             clEnumValN(mlir::prune::IsaOption::Avx512, "avx512",
                        "The AVX-512 kernels (f32 values; the AVX2 ones "
                        "for other value types)"),
             clEnumValN(mlir::prune::IsaOption::Avx2, "avx2",
                        "The AVX2 + FMA + F16C kernels (x86-64 CPUs "
                        "without AVX-512)"),
             clEnumValN(mlir::prune::IsaOption::Portable, "portable",
                        "The portable C++ kernels (other CPUs)"))}]>,
    Option<"margin", "margin", "double", "0.1",
           "The cost model's relative error: size accepts formats predicted "
           "up to (1 + margin) x dense, latency needs (1 - margin) x dense">,
    Option<"sizeSlack", "size-slack", "double", "0.05",
           "objective=size: formats storing at most (1 + size-slack) x the "
           "smallest one's bytes count as the same size; the fastest of "
           "them is taken">,
    Option<"minSparsity", "min-sparsity", "double", "0.0",
           "Weights less sparse than this always stay dense">,
    Option<"cacheKiB", "cache-kib", "int64_t", "2048",
           "auto: weights up to this size are assumed cache-resident "
           "(default: this machine's L2)">,
    Option<"indexWidth", "index-width", "unsigned", "32",
           "Bit width of positions and coordinates (0 = index, 8, 16, 32, 64)">,
    Option<"bandwidthGBs", "bandwidth-gbs", "double", "12.0",
           "auto: memory read bandwidth of one core (GB/s) for the kernel "
           "cost model (measured by prune-bench)">,
    Option<"target", "target", "mlir::prune::Target",
           "mlir::prune::Target::Cpu",
           "The device whose kernels the layouts are chosen for",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::Target::Cpu, "cpu",
                        "The CPU kernel library (nn-lower-kernels)"),
             clEnumValN(mlir::prune::Target::Gpu, "gpu",
                        "The GPU kernels (lib/GpuRuntime): dense, csr, bsr, "
                        "nm"))}]>,
    Option<"gpuChip", "gpu-chip", "mlir::prune::layout::GpuChip",
           "mlir::prune::layout::GpuChip::Sm90",
           "target=gpu: the GPU the cost model predicts",
           [{::llvm::cl::values(
             clEnumValN(mlir::prune::layout::GpuChip::Sm80, "sm_80",
                        "A100 SXM 80 GB: 2039 GB/s, 108 SMs, 40 MiB L2"),
             clEnumValN(mlir::prune::layout::GpuChip::Sm90, "sm_90",
                        "H100 SXM: 3350 GB/s, 132 SMs, 50 MiB L2"))}]>,
    Option<"gpuBandwidthGBs", "gpu-bandwidth-gbs", "double", "0.0",
           "target=gpu: peak HBM bandwidth (GB/s) instead of the chip's "
           "(0 = the chip's; e.g. 4800 for an H200)">
  ];
  let dependentDialects = ["mlir::prune::PruneDialect",
                           "mlir::sparse_tensor::SparseTensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numSparsified", "num-sparsified", "Number of weight uses rewritten to sparse operands">
  ];
}

def NNFoldWeightTransposes : Pass<"nn-fold-weight-transposes", "mlir::ModuleOp"> {
  let summary = "Transpose constant weights at compile time";
  let description = [{
    A `linalg.transpose` of a constant weight feeding a contraction (the
    torch `x @ W.T` idiom) is copied on every call once lowered. This pass
    replaces it by a new constant holding the transposed data (a
    `dense_resource` blob), so the dense path moves no weight data at run
    time and reads the weight in the layout the contraction wants: with
    `nn-dense-loop-order`, a matmul's innermost loop then runs along
    contiguous rows of W^T. (Folding the permutation into the indexing map
    instead, as `nn-sparsify` does for compressed weights, makes the dense
    inner loop stride through W: measured 12x slower than OpenBLAS on a
    1024x1024 layer.) Copies that permute or keep the dimensions
    (`linalg.copy`, a `linalg.generic` that only yields its one input, as
    buddy-mlir exports write) are folded the same way. First step of
    `nn-lower-cpu`.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numFolded", "num-folded", "Number of transposes folded">
  ];
}

def NNDenseLoopOrder : Pass<"nn-dense-loop-order", "mlir::func::FuncOp"> {
  let summary = "Order the loops of dense contractions for vectorization";
  let description = [{
    Interchanges the loops of every dense (no sparse operand) contraction
    `linalg.generic` so that the innermost loop is the parallel loop that
    walks the output's last, contiguous dimension, with the reduction loops
    just outside it: `C[m,n] += A[m,k] * B[k,n]` becomes `for m, for k, for
    n`, and an NCHW convolution runs its output-width loop innermost. The
    inner loop then reads and writes contiguous memory with no loop-carried
    reduction, so LLVM vectorizes it without reassociating float sums.
    Ops whose output's last dimension is not indexed by a plain parallel
    loop are left alone. Part of `nn-lower-cpu` (after
    `linalg-generalize-named-ops`).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numInterchanged", "num-interchanged", "Number of contractions reordered">
  ];
}

def NNReport : Pass<"nn-report", "mlir::ModuleOp"> {
  let summary = "Report every weight: pruning decision, storage, bytes, FLOPs";
  let description = [{
    Reads the decisions recorded by `nn-prune` / `nn-sparsify` (it never
    recomputes them) and reports, per weight: name and id, location,
    consumer ops, shape and element type, criterion, pattern, target and
    achieved sparsity, storage format and index widths, bytes dense vs as
    stored (values + coordinates + positions) and dense vs executed FLOPs
    (2 per multiply-add; a sparse weight executes the nonzero share), plus
    totals. Unpruned weights are listed too. The table goes to stderr
    (`table=false` to silence it); `json=FILE` writes the same as JSON
    (schema in docs/UserGuide.md; written to a temporary file and renamed).
    The IR is not changed.
  }];
  let options = [
    Option<"jsonFile", "json", "std::string", "\"\"",
           "Write the report as JSON to this file">,
    Option<"table", "table", "bool", "true", "Print the table to stderr">
  ];
}

def NNVectorizePooling : Pass<"nn-vectorize-pooling", "mlir::func::FuncOp"> {
  let summary = "Compute sum and max pooling as vectors";
  let description = [{
    Rewrites `linalg.pooling_nchw_sum`, `pooling_nchw_max`,
    `pooling_nhwc_sum` and `pooling_nhwc_max` on static dense float
    tensors with unit dilations (any strides; windows of at most 64
    elements, since the window is unrolled: global pooling stays loops;
    vectors of at most 1024 elements) into loops whose body is vector
    code. NCHW: per (batch,
    channel, output row) the output row is one vector; for each window row
    the input row is read once (`vector.transfer_read`) and each window
    column's inputs, every stride-th element, are picked out of it with a
    constant `vector.shuffle` and added (or maxed) in. NHWC: per (batch,
    output row, output column) the channels are one vector, read once per
    window element. The window is accumulated in the op's own order
    (window rows, then columns), so the results are bit-identical. Left to
    `linalg-generalize-named-ops` and `convert-linalg-to-loops`, LLVM fully
    unrolls the short innermost loops and then vectorizes across output
    rows with gathers and scatters: LeNet's two 2x2 poolings took most of a
    pruned LeNet's time on an AMD Zen 4. Part of `nn-lower-cpu` (before
    the named ops are generalized).

    ```mlir
    %p = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>,
           strides = dense<2> : vector<2xi64>}
           ins(%x, %w : tensor<1x6x28x28xf32>, tensor<2x2xf32>)
           outs(%f : tensor<1x6x14x14xf32>) -> tensor<1x6x14x14xf32>
    // becomes, per (n, c, oh):
    //   %acc = vector.transfer_read %out[n, c, oh, 0] : vector<14xf32>
    //   %row = vector.transfer_read %x[n, c, 2 * oh + kh, 0] : vector<28xf32>
    //   %even = vector.shuffle %row, %row [0, 2, ..., 26]   // kw = 0
    //   %acc1 = arith.addf %acc, %even
    //   ...
    ```
  }];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numVectorized", "num-vectorized", "Pooling ops vectorized">
  ];
}

def NNFlattenElementwise : Pass<"nn-flatten-elementwise", "mlir::func::FuncOp"> {
  let summary = "Run dense elementwise ops as one loop over all elements";
  let description = [{
    Collapses every loop of a `linalg.generic` on tensors whose loops are
    all parallel, whose body reads no `linalg.index` and whose operands
    are all dense and indexed by the identity (or are scalars) into one, with `tensor.collapse_shape` on its
    operands and `tensor.expand_shape` on its results (upstream's
    `populateCollapseDimensions`); reshapes that meet fold away. On small
    static shapes (LeNet's 1x6x14x14) LLVM otherwise unrolls the short
    innermost loop fully and vectorizes across rows with gathers and
    scatters: one loop of 1176 elements is contiguous vector code (a divide
    by 4 there: ~1 us before on a Zen 4). Part of `nn-lower-cpu` (after
    `linalg-generalize-named-ops`).
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def NNSplitEmptyTensors : Pass<"nn-split-empty-tensors", "mlir::func::FuncOp"> {
  let summary = "Give every use of a tensor.empty its own tensor.empty";
  let description = [{
    `tensor.empty` carries no data, so one per use is semantically the same
    program. Bufferizing a loop whose body writes several results into one
    `tensor.empty` defined outside the loop, with
    `allow-return-allocs-from-loops`, makes MLIR 22 reuse one buffer for a
    value that is still live (an RNN cell computed wrong results); with an
    empty per use, placed right before its user, it bufferizes correctly.
    Part of `nn-lower-cpu`.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def NNUnitSliceStrides : Pass<"nn-unit-slice-strides", "mlir::func::FuncOp"> {
  let summary = "Set the stride of every size-1 slice dimension to 1";
  let description = [{
    A size-1 dimension of a `tensor.extract_slice`, `tensor.insert_slice` or
    `tensor.parallel_insert_slice` reads or writes one element whatever its
    stride, so stride 1 is the same program. MLIR 22's
    `expand-strided-metadata` crashes (in `SubViewOp::getDroppedDims`) on
    the rank-reducing `memref.subview` that a slice with a non-unit stride
    on a dropped size-1 dimension bufferizes to, e.g.
    `tensor.extract_slice %x[%t, 0, 0] [1, 1, 6] [17, 1, 1]`
    (test/Upstream/subview-unit-stride.test). Part of `nn-lower-cpu`.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def NNExportCInterface : Pass<"nn-export-c-interface", "mlir::func::FuncOp"> {
  let summary = "Mark public functions with `llvm.emit_c_interface`";
  let description = [{
    Adds `llvm.emit_c_interface` to every public `func.func` with a body, so
    that lowering to LLVM emits `_mlir_ciface_<name>` wrappers taking memref
    descriptors by pointer. Part of `nn-lower-cpu`.
  }];
}

def NNLowerKernels : Pass<"nn-lower-kernels", "mlir::ModuleOp"> {
  let summary = "Lower fully connected layers with constant weights to prune-opt's micro-kernels";
  let description = [{
    Rewrites every fully connected contraction `y = x W^T (+ y)` (matmul,
    matvec, vecmat or a generic of that form, any operand layout, f32,
    static shapes) whose weight is a constant into a call of the project's
    kernel library (`libPruneOptKernels`, `_mlir_ciface_prune_mr_*`), with
    the weight packed here, at compile time, into the kernel's format:

      - a dense constant (`format = "dense"` or not pruned): 16-output
        panels, an AVX-512 register-blocked GEMV/GEMM;
      - a `sparse_tensor.assemble` of constants from `nn-sparsify`: the
        format and regime its `#prune.layout` names (csr for a weight
        without one): `csr` (u8 / u16 / i32
        columns, the narrowest that fits), `bitmask` (1 bit per weight + packed values, expanded with
        `vexpandps`), `bsr` (the pruning block shape) or `nm` (N:M values +
        2-bit offsets for 2:4, selected with one `vpermt2ps` per 16 values).
        Weights in the batched regime (nn-sparsify's `csr-tiled-batch`;
        this pass's option of the same name applies only to weights
        without a layout) are packed as `csr-tiled`: 256x256 blocks whose
        rows are grouped by their number of entries, with u8 columns, so
        that the batched kernel reads x from L1 and its loops are
        predictable (~1.5x faster than plain CSR at batch 32 and ~15 %
        smaller; 3-10x faster than the bitmask and N:M kernels, whose
        expands and selects only pay at batch 1).

    Batched contractions (`linalg.batch_matmul`, `tosa.matmul` after
    `tosa-to-linalg`, batched generics) are FC layers when the weight has no
    batch of its own: loops of size 1 are ignored (`[1, M, K] x [1, K, N]`)
    and batch loops the weight does not index (a broadcast weight map) are
    flattened into one FC batch; the input is collapsed to 2-D and the
    result expanded back.

    The rewrite happens on tensors (`bufferization.to_buffer` of the input,
    a fresh output buffer, `bufferization.to_tensor` of the result), so it
    composes with one-shot bufferization; `nn-lower-cpu` runs it first when
    `kernels=true` (the default). Ops that do not match (1-D/3-D
    convolutions, batched matmuls with one weight per batch element,
    dynamic shapes, other element types) are left to the sparsifier. Where a weight cannot be packed in the requested format
    (e.g. a block shape that does not divide it) it falls back to CSR with
    a remark. Every rewritten op gets `nn.kernel = "<format>"` on the call.

    2-D convolutions are lowered the same way through im2col: a
    `linalg.generic` gathers the patches transposed, `[C*KH*KW, N*OH*OW]`
    (rows in the filter's order), and the kernel reads them in place:
    `linalg.conv_2d_nchw_fchw` writes `out[F, OH*OW]` per image (an
    `scf.for` over the batch), `conv_2d_nhwc_hwcf` and `conv_2d_nhwc_fhwc`
    (TF, `tosa-to-linalg`) write the NHWC output `[N*OH*OW, F]` in one call
    (HWCF filters packed transposed). Depthwise convolutions
    (`depthwise_conv_2d_nhwc_hwc`, `_nhwc_hwcm`, `_nchw_chw`) use the same
    im2col with a block-diagonal FC weight `[C*M, C*KH*KW]`, always packed
    as `csr` (`csr-tiled` when batched): only the filter's nonzeros are
    multiplied. Only sparse filters (assembled by `nn-sparsify`) by default:
    a dense depthwise filter runs faster in upstream's vectorized loops
    (`dense-block-diagonal` lowers those too). Grouped convolutions (`conv_2d_ngchw_gfchw`, `_ngchw_fgchw`,
    `_nhwgc_gfhwc`) likewise, the group outermost in the im2col rows and
    the weight `[G*F, G*C*KH*KW]` block diagonal.

    Sparse convolutions read their input in place instead (direct sparse
    convolution): NCHW full or depthwise convolutions of one image with
    unit strides whose filter is `csr`. The outputs are computed on a grid
    as wide as the input (position `oh*W + ow`; the columns `ow >= OW` are
    computed and sliced away), the filter's column `(c, kh, kw)` is
    renumbered to the input offset `c*H*W + kh*dh*W + kw*dw`, and the
    kernel reads the flattened input as `[(OH-1)*W + OW, K']` with unit
    strides (a `memref.reinterpret_cast`: rows overlap), with the `csr`
    kernel (not `csr-tiled`: the input fits in L1). No patches are written:
    LeNet at 90 % ran 14.4 -> 10.0 us per image. Dense filters, strided,
    NHWC and batched convolutions keep im2col.

    Epilogues (`fuse-epilogue`, default on): a constant per-output bias
    that is the layer's init (`linalg.broadcast`, as torch-mlir emits for
    convolutions, or the equivalent `linalg.generic` of `tosa-to-linalg`)
    or is added by the single user of its result (a `[N]` constant, or a
    `[1, .., N]` one as `tosa.add` leaves it), and a ReLU
    after it (`arith.maximumf(x, 0)` or `cmpf ugt|uge` + `select`, which
    keep NaN like the kernel does), are absorbed into the call: the kernel
    adds the bias and clamps while the output is in cache, and the
    broadcast, the copy of the init and the elementwise ops disappear. The
    call gets `nn.epilogue = "bias" | "relu" | "bias+relu"`.

    With `target=gpu` the layer becomes a call of a `#prune.gpu_call`
    declaration instead (the weight in the GPU layouts of
    `include/prune-opt/GpuRuntime/GpuPlan.h`; `nn-lower-gpu-calls` defines
    it). `sparse-tensor-cores=f16|bf16` packs 2:4 weights (`nm`, n=2 m=4)
    for the sparse tensor core kernel (layouts `sptc24f16` / `sptc24bf16`:
    W rounded to 16 bits at compile time, x when the kernel stages it, f32
    sums; docs/UserGuide.md has the numerics); a weight that does not fit
    the type (f16 beyond ±65504) stays `nm24`, with a remark.
  }];
  let options = [
    Option<"lowerDense", "dense", "bool", "true",
           "Also lower dense constant weights (the dense kernel)">,
    Option<"denseBlockDiagonal", "dense-block-diagonal", "bool", "false",
           "Also lower depthwise and grouped convolutions whose filter is "
           "dense (their block-diagonal CSR with im2col measured 1.5-2.6x "
           "slower than upstream's vectorized dense loops; sparse filters "
           "are always lowered, 2.6x faster than the sparsifier)">,
    Option<"valueType", "value-type", "std::string", "\"f32\"",
           "How the kernel layouts store the weights' values: f32, bf16, "
           "f16, i8 (symmetric, one scale per output row) or auto (with "
           "format=auto, the (format, value type) pair the objective "
           "prefers among value-types; with a format, the smallest of "
           "value-types predicted not slower than the widest)">,
    ListOption<"valueTypesAllowed", "value-types", "std::string",
               "value-type=auto: the value types it may choose (default: "
               "f32,bf16,f16,i8)">,
    ListOption<"autoFormats", "formats", "std::string",
               "format=auto: the formats it may choose besides dense "
               "(default: all; e.g. formats=csr,bitmask for layouts that "
               "run everywhere: csr-window's kernel is AVX-512 only)">,
    Option<"csrTiledBatch", "csr-tiled-batch", "int64_t",
           "::mlir::prune::layout::kDefaultTiledFromBatch",
           "Weights without a #prune.layout (not from nn-sparsify): the "
           "smallest batch for which csr weights are packed as csr-tiled "
           "(0: never); a layout's regime always wins">,
    Option<"fuseEpilogue", "fuse-epilogue", "bool", "true",
           "Fuse a constant per-output bias (broadcast init or add) and a "
           "ReLU after the layer into the kernel call">,
    Option<"target", "target", "std::string", "\"cpu\"",
           "Where the layers run: cpu (calls of the kernel library) or gpu "
           "(calls of #prune.gpu_call declarations in the GPU layouts, for "
           "nn-lower-gpu-calls; nn-lower-gpu runs both)">,
    Option<"sparseTensorCores", "sparse-tensor-cores", "std::string",
           "\"off\"",
           "target=gpu: run 2:4 weights (nm, n=2 m=4) on the sparse tensor "
           "cores (mma.sp, sm_80+) with W and x rounded to f16 or bf16 and "
           "f32 sums: off (default: f32 kernels), f16 or bf16. Changes the "
           "numerics: never implied">
  ];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::prune::PruneDialect"];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of contractions lowered to kernels">
  ];
}

def NNLowerGpuCalls : Pass<"nn-lower-gpu-calls", "mlir::ModuleOp"> {
  let summary = "Define the GPU layer calls of nn-lower-kernels{target=gpu}: launches of the project's GPU kernels";
  let description = [{
    Gives every private declaration with a `#prune.gpu_call` (written by
    `nn-lower-kernels{target=gpu}`) its body, on memrefs, after
    bufferization and buffer deallocation (which reject GPU ops):

      - x (and y when accumulating) copied into contiguous host buffers and
        to device buffers (`gpu.alloc`, `gpu.memcpy`);
      - the weight's arrays and bias made resident on the device by
        `prune_gpu_resident` (uploaded at the first call, then reused);
      - a device scratch when the plan needs one (`planScratchFloats`: x
        transposed for the batched sparse kernels, split-K partial sums for
        the sparse tensor cores);
      - the launches of the layer's plan
        (`include/prune-opt/GpuRuntime/GpuPlan.h`: `warp_rows_<layout>` at
        batch 1, `dense_tiled` or `transpose_x` + `tile_rows_<layout>`
        above; `mma_sp_<layout>` over a grid split along K for the chip,
        then `sptc_reduce` if split, for `sptc24f16|bf16`),
        `gpu.launch_func` of kernels in `gpu.module @prune_gpu_kernels`,
        each a `gpu.func` calling the kernels' bitcode function
        `prune_gpu_<kernel>` (linked by `#nvvm.target<link = [...]>`; with
        sparse tensor core layers the target asks for PTX ISA 8.5, which
        `mma.sp::ordered_metadata` needs: a driver of CUDA 12.5 or later);
      - y copied back, device buffers freed, one `gpu.wait` at the end:
        the whole chain is one async token chain on one stream.

    The gpu.module is then compiled by upstream's `convert-gpu-to-nvvm` and
    `gpu-module-to-binary`, and the host code by `gpu-to-llvm`
    (`nn-lower-gpu` runs all of it).
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90\"",
           "The NVIDIA chip of the gpu.module (sm_80 or sm_90)">,
    Option<"bitcode", "bitcode", "std::string", "\"\"",
           "The kernels' LLVM bitcode for the chip (default: "
           "prune-opt/PruneGpuKernels.<chip>.bc in the lib directory of the "
           "tool or library that runs the pass)">,
    Option<"blockThreads", "block-threads", "int64_t", "256",
           "Threads per block of the row kernels (warp_rows: a warp per "
           "output row, so block-threads/32 rows per block; transpose_x, "
           "tile_rows): a multiple of 32 up to 1024. dense_tiled and the "
           "sparse tensor core kernels always use 256">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::NVVM::NVVMDialect"];
  let statistics = [
    Statistic<"numCalls", "num-calls", "Number of GPU layer calls defined">,
    Statistic<"numLaunches", "num-launches", "Number of kernel launches emitted">
  ];
}

def NNStoreWeights : Pass<"nn-store-weights", "mlir::ModuleOp"> {
  let summary = "Move the module's weights into one safetensors file";
  let description = [{
    Writes every `dense_resource` tensor the module refers to (blobs in the
    IR and tensors in its current weight files), and every non-splat
    floating-point `dense<>` constant of at least `min-bytes` (integer
    constants stay: shapes, permutations, quantization parameters), to the
    safetensors file `file`, and makes the IR refer to them there: the
    resources lose their blobs and the module gets
    `prune.weight_files = ["<file>"]`. `file` must not be one of the
    module's weight files. In `prune-opt` the file replaces an existing one
    only when the whole run succeeds (staged until then). Tensors
    are read one at a time (mapped), so the pass needs memory for one
    weight, not the model. Intermediate files that earlier passes of this
    process created for the module (see below) are deleted.

    With external weights (`prune.weight_files`), every pass that creates
    tensors (`nn-prune`, `nn-sparsify`, `nn-lower-kernels`, ...) writes them
    to a new file next to the first weight file (`<stem>.<pass>-XXXXXX.
    safetensors`) and lists it first; this pass compacts them into one.
    The file is written to a temporary name and renamed on success; the
    data is contiguous with the widest element types first (every tensor
    aligned to its element size), which strict safetensors readers accept.

    ```
    prune-opt model.mlir --nn-store-weights=file=model.safetensors -o m.mlir
    prune-opt m.mlir --nn-prune=sparsity=0.9 --nn-sparsify \
      --nn-store-weights=file=pruned.safetensors -o pruned.mlir
    ```
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "The safetensors file to write (required)">,
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"0",
           "Leave floating-point `dense<>` constants smaller than this in "
           "the IR (`dense_resource` tensors always move)">,
  ];
  let statistics = [
    Statistic<"numStored", "num-stored", "Tensors written to the file">,
  ];
}

def NNEmbedWeights : Pass<"nn-embed-weights", "mlir::ModuleOp"> {
  let summary = "Bring a module's external weights back into the IR";
  let description = [{
    The inverse of `nn-store-weights`: every `dense_resource` without a blob
    gets its tensor from the module's weight files as a blob (same key), and
    the `prune.weight_files` attribute is removed. The result is a
    self-contained module (as large as its weights).
  }];
  let statistics = [
    Statistic<"numEmbedded", "num-embedded", "Tensors embedded">,
  ];
}

def NNExternalWeightLoads : Pass<"nn-external-weight-loads", "mlir::ModuleOp"> {
  let summary = "Load external weights at run time instead of embedding them";
  let description = [{
    Part of `nn-lower-cpu` and `nn-lower-gpu`, after bufferization and
    deallocation. Every
    `memref.global` whose value is a `dense_resource` without a blob (its
    tensor is in the module's weight files) goes away, and each
    `memref.get_global` of it becomes a call to the kernel library's
    `prune_rt_weight(path, offset, bytes, file_size)`, which maps the file
    once per process and returns the tensor's bytes, viewed as the
    global's type. (Before deallocation, the ownership-based deallocation
    would free what the call returns.) The compiled object then
    holds no weights: they are paged in from the file (shared with the page
    cache) when the model runs. The file's path is recorded as named in
    `prune.weight_files` (relative paths: the working directory at run
    time, or `$PRUNE_OPT_WEIGHTS_DIR`); its size is checked at run time.
    A tensor not aligned to its element size in the file is an error (write
    the file with `nn-store-weights`).

    `nn-lower-gpu` runs it too: the GPU layer calls then copy each weight
    from the mapping to the device once per process
    (`prune_gpu_resident`, keyed by the host address), as they copy an
    embedded weight.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numLoads", "num-loads", "Constants loaded at run time">,
  ];
}

def NNZeroSizeGlobals : Pass<"nn-zero-size-globals", "mlir::ModuleOp"> {
  let summary = "Give zero-element LLVM globals a zero initializer";
  let description = [{
    MLIR 22's translation to LLVM IR divides by zero (SIGFPE in
    `getLLVMConstant`) on an `llvm.mlir.global` whose array type has no
    elements and whose value is a dense attribute: e.g. the values of a
    weight pruned to 100 % packed for a kernel, or a `tensor<0x4xf32>`
    constant in the model. This pass replaces such values by `#llvm.zero`
    (the same, empty, global). Last step of `nn-lower-cpu`; the upstream
    crash is pinned by `test/Upstream/zero-size-global.test`.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def NNStackBuffers : Pass<"nn-stack-buffers", "mlir::func::FuncOp"> {
  let summary = "Put a function's small intermediate buffers on the stack";
  let description = [{
    Turns the statically shaped `memref.alloc`s of a function's entry block
    whose buffer (and every view of it) does not leave the function into
    `memref.alloca`s, in program order, while each is at most
    `max-buffer-bytes` and all of them together at most
    `max-function-bytes`. Buffers in loops or other regions, returned
    buffers, buffers with a `memref.dealloc` and buffers passed to a call
    that returns a memref stay on the heap. Runs in `nn-lower-cpu` before
    the deallocation pipeline (option `stack-buffer-bytes`), because at
    batch 1 small models spend a measurable part of their time in
    `aligned_alloc`/`free` (LeNet pruned to 98 %: 1.10-1.13x faster with its
    ~40 KiB of intermediates on the stack; MLIR's own
    `promote-buffers-to-stack` has no per-function bound, and LLVM does not
    overlap the frames' buffers). A stack buffer is aligned to a cache line
    (64 bytes) at least: an LLVM `alloca` is otherwise aligned to its
    element only, and in a buffer not aligned to 64 bytes each of the
    kernels' 512-bit stores spans two lines.

    ```mlir
    %0 = memref.alloc() : memref<6x896xf32>
    // becomes
    %0 = memref.alloca() {alignment = 64 : i64} : memref<6x896xf32>
    ```
  }];
  let options = [
    Option<"maxBufferBytes", "max-buffer-bytes", "int64_t",
           "mlir::prune::kMaxStackBufferBytes",
           "Largest buffer put on the stack">,
    Option<"maxFunctionBytes", "max-function-bytes", "int64_t", "65536",
           "Most bytes of buffers put on the stack per function">,
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def NNDropTensorDeallocs : Pass<"nn-drop-tensor-deallocs", "mlir::func::FuncOp"> {
  let summary = "Remove `bufferization.dealloc_tensor` hints before lowering";
  let description = [{
    `nn-lower-cpu` frees buffers with upstream's ownership-based
    deallocation, which rejects IR that already frees memory ("memory free
    side-effect on MemRef value not supported"). A `dealloc_tensor` on a
    tensor is only a hint, so it is removed; the buffers are still freed.
    Part of `nn-lower-cpu`.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def NNTosaConstsToArith : Pass<"nn-tosa-consts-to-arith", "mlir::func::FuncOp"> {
  let summary = "Turn `tosa.const` into `arith.constant`, keeping attributes";
  let description = [{
    Upstream's `tosa-to-arith` drops the discardable attributes of a
    `tosa.const`, among them the `#prune.decision` of a weight pruned in
    TOSA form (and `nn.calib` statistics). This pass rewrites every
    `tosa.const` into an `arith.constant` with the same value, location and
    attributes, so that `nn-sparsify` still finds the decisions after
    conversion. Part of the `nn-tosa-to-linalg` pipeline (which
    `nn-lower-cpu` runs first).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def NNStripAnnotations : Pass<"nn-strip-annotations"> {
  let summary = "Drop the prune dialect's attributes (for stock MLIR tools)";
  let description = [{
    Removes every `prune.*` attribute (`#prune.decision`, `#prune.layout`)
    from the operations it runs on and below, except `prune.weight_files`,
    which says where the weights are (a module without it would have
    weights without data). The output then parses in
    any MLIR tool of the same version without the prune dialect (stock
    `mlir-opt-22`, IREE, other toolchains); what is lost is only what
    `nn-report` and `nn-lower-kernels` read. The alternatives that keep
    them: `mlir-opt-22 --load-dialect-plugin=PruneOptPlugin.so` (the
    dialect, verified) or `--allow-unregistered-dialect` (opaque).

    ```
    prune-opt model.mlir --nn-prune=sparsity=0.9 --nn-sparsify \
      --nn-strip-annotations -o pruned.mlir
    mlir-opt-22 pruned.mlir --sparsifier
    ```
  }];
  let statistics = [
    Statistic<"numStripped", "num-stripped", "Attributes removed">
  ];
}

#endif // PRUNE_OPT_TRANSFORMS_PASSES
