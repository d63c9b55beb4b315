// Weights in the forms other toolchains export: the IR nn-prune and
// nn-sparsify write, and their remarks. Numbers: Integration/frontend-forms.test.
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 | FileCheck %s --check-prefix=PRUNE
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-sparsify=format=csr | FileCheck %s --check-prefix=SPARSE
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-sparsify=format=csr -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --inline --nn-sparsify=format=csr | FileCheck %s --check-prefix=INLINE
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --inline --nn-sparsify=format=csr -o /dev/null 2>&1 | FileCheck %s --check-prefix=INLINE-REMARK
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-tosa-to-linalg --nn-sparsify=format=csr | FileCheck %s --check-prefix=TOSA2LINALG
// RUN: prune-opt %s -split-input-file --nn-prune=sparsity=0.5 --nn-tosa-to-linalg --nn-sparsify=format=csr -o /dev/null 2>&1 | FileCheck %s --check-prefix=TOSA2LINALG-REMARK
// RUN: prune-opt %s -split-input-file --nn-prune="pattern=channel sparsity=0.5" --nn-shrink-channels -o /dev/null 2>&1 | FileCheck %s --check-prefix=SHRINK

// Remarks come in order of the split chunks.
// REMARK: remark: nn-sparsify: weight 'w0' left dense here: it reaches this op through a call to @model (the callee is shared by its callers; run --inline before nn-sparsify to sparsify it)
// REMARK: remark: nn-sparsify: weight 'w0' kept dense: 'tosa.matmul' is a TOSA op; for sparse kernels convert the model to linalg before nn-prune (--nn-tosa-to-linalg)
// REMARK: remark: nn-sparsify: weight 'w0' kept dense: 'tosa.conv2d' is a TOSA op
// INLINE-REMARK-NOT: through a call
// INLINE-REMARK: 'tosa.matmul' is a TOSA op
// TOSA2LINALG-REMARK: through a call to @model
// TOSA2LINALG-REMARK-NOT: TOSA op

// A public @main passes its constants to the public @model: the constant in
// @main is pruned, @model is unchanged.
// PRUNE-LABEL: func.func @main
// PRUNE: arith.constant {prune.decision = #prune.decision<{{.*}}name = "w0"{{.*}}zeros = 6, elements = {{[0-9]+}}>} dense_resource<w0_pruned> : tensor<3x4xf32>
// PRUNE: call @model
// PRUNE-LABEL: func.func @model
// PRUNE-NOT: prune.decision
// PRUNE: dialect_resources
// SPARSE-LABEL: func.func @main
// SPARSE: arith.constant {prune.decision = #prune.decision<{{.*}}>, prune.layout = #prune.layout<format = dense
// INLINE-LABEL: func.func @main
// INLINE: sparse_tensor.assemble
// INLINE-NOT: call @model
// INLINE-LABEL: func.func @model
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 1.0, 2.0, -0.25], [0.1, 5.0, -1.0, 2.0]]> : tensor<3x4xf32>
  %y = call @model(%x, %w) : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
func.func @model(%x: tensor<1x4xf32>, %w: tensor<3x4xf32>) -> tensor<1x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
  %z = arith.constant 0.0 : f32
  %eo = tensor.empty() : tensor<1x3xf32>
  %i = linalg.fill ins(%z : f32) outs(%eo : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%i : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// A transposing linalg.generic copy: sparsified, the copy erased; the sparse
// arrays hold W[out, in] row by row (CSR of the pruned W: 2 entries per row).
// SPARSE-LABEL: func.func @generic_transpose
// SPARSE: arith.constant dense_resource<{{.*}}> : tensor<4xi32>
// SPARSE: sparse_tensor.assemble
// SPARSE-SAME: to tensor<3x4xf32, #sparse
// SPARSE-NOT: linalg.yield %in
// SPARSE: return
#kn = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @generic_transpose(%x: tensor<1x4xf32>, %init: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 1.0, 2.0, -0.25], [0.1, 5.0, -1.0, 2.0]]> : tensor<3x4xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.generic {indexing_maps = [#kn, #id], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x3xf32>
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%init : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// TOSA: the tosa.const is pruned in place and stays TOSA; nn-sparsify keeps
// it dense with a remark; nn-tosa-to-linalg keeps the decision, and
// nn-sparsify then sparsifies it. The zero point is no weight.
// PRUNE-LABEL: func.func @tosa_fc
// PRUNE: "tosa.const"() <{values = dense_resource<w0_pruned> : tensor<3x4xf32>}> {prune.decision = #prune.decision<{{.*}}zeros = 6, elements = {{[0-9]+}}>}
// PRUNE: tosa.matmul
// SPARSE-LABEL: func.func @tosa_fc
// SPARSE: "tosa.const"() <{values = dense_resource<w0_pruned> : tensor<3x4xf32>}> {prune.decision = #prune.decision<{{.*}}>, prune.layout = #prune.layout<format = dense
// TOSA2LINALG-LABEL: func.func @tosa_fc
// TOSA2LINALG: sparse_tensor.assemble
// TOSA2LINALG-SAME: prune.layout = #prune.layout<format = csr
// TOSA2LINALG-NOT: tosa.matmul
func.func @tosa_fc(%x: tensor<1x2x4xf32>) -> tensor<1x2x3xf32> {
  %w = "tosa.const"() {values = dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 1.0, 2.0, -0.25], [0.1, 5.0, -1.0, 2.0]]> : tensor<3x4xf32>} : () -> tensor<3x4xf32>
  %t = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %s = tosa.const_shape {values = dense<[1, 4, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %t, %s : (tensor<4x3xf32>, !tosa.shape<3>) -> tensor<1x4x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.matmul %x, %r, %zp, %zp : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}

// -----

// A TOSA convolution weight [OC, KH, KW, IC], read directly: pruned per
// output channel; the passes that need linalg say so.
// PRUNE-LABEL: func.func @tosa_conv
// PRUNE: "tosa.const"() <{values = dense_resource<w0_pruned> : tensor<2x1x1x3xf32>}> {prune.decision = #prune.decision<{{.*}}zeros = 3, elements = {{[0-9]+}}>}
// SHRINK: remark: nn-shrink-channels: weight 'w0' keeps its shape: its consumer is a TOSA op (convert the model to linalg first: --nn-tosa-to-linalg)
// TOSA2LINALG-LABEL: func.func @tosa_conv
// TOSA2LINALG: sparse_tensor.assemble
// TOSA2LINALG-SAME: prune.layout = #prune.layout<format = csr
// TOSA2LINALG-NOT: tosa.conv2d
func.func @tosa_conv(%x: tensor<1x1x1x3xf32>) -> tensor<1x1x1x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[1.5, -0.2, 0.7]]], [[[-3.0, 0.4, 2.5]]]]> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %b = "tosa.const"() {values = dense<[0.1, -0.2]> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  return %y : tensor<1x1x1x2xf32>
}
