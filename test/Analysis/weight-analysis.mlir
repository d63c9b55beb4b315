// RUN: prune-opt %s -split-input-file -test-nn-weight-analysis -verify-diagnostics -o /dev/null

// A torch-style linear layer: W[out, in] transposed into the matmul. The
// bias is broadcast into the init (outs) and is not a weight.
func.func @linear(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.matmul operand 1, roles [output, reduction], flops 24, via [linalg.transpose]}}
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]> : tensor<3x4xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
  %eo = tensor.empty() : tensor<1x3xf32>
  %bb = linalg.broadcast ins(%b : tensor<3xf32>) outs(%eo : tensor<1x3xf32>) dimensions = [0]
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%bb : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

func.func @conv_nchw(%x: tensor<1x1x5x5xf32>, %init: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.conv_2d_nchw_fchw operand 1, roles [output, reduction, reduction, reduction], flops 324, via []}}
  %f = arith.constant dense<1.0> : tensor<2x1x3x3xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<1x1x5x5xf32>, tensor<2x1x3x3xf32>) outs(%init : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

func.func @conv_nhwc_hwcf(%x: tensor<1x5x5x2xf32>, %init: tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32> {
  // expected-remark@+1 {{roles [reduction, reduction, reduction, output]}}
  %f = arith.constant dense<1.0> : tensor<3x3x2x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %f : tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>) outs(%init : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %y : tensor<1x3x3x4xf32>
}

// -----

func.func @depthwise(%x: tensor<1x5x5x3xf32>, %init: tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32> {
  // expected-remark@+1 {{linalg.depthwise_conv_2d_nhwc_hwc operand 1, roles [reduction, reduction, batch]}}
  %f = arith.constant dense<1.0> : tensor<3x3x3xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %f : tensor<1x5x5x3xf32>, tensor<3x3x3xf32>) outs(%init : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// -----

func.func @batch_matmul(%x: tensor<2x3x4xf32>, %init: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  // expected-remark@+1 {{linalg.batch_matmul operand 1, roles [batch, reduction, output]}}
  %w = arith.constant dense<1.0> : tensor<2x4x5xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x3x4xf32>, tensor<2x4x5xf32>) outs(%init : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

func.func @matvec(%x: tensor<4xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  // expected-remark@+1 {{linalg.matvec operand 0, roles [output, reduction]}}
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %y = linalg.matvec ins(%w, %x : tensor<3x4xf32>, tensor<4xf32>) outs(%init : tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// A weight reshaped on its way, and one passed into a private function.
func.func private @layer(%x: tensor<1x6xf32>, %w: tensor<6x2xf32>) -> tensor<1x2xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x6xf32>, tensor<6x2xf32>) outs(%i : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
func.func @reshaped_and_called(%x: tensor<1x6xf32>) -> tensor<1x2xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.matmul operand 1, roles [reduction, reduction, output], flops 24, via [tensor.collapse_shape, func.call]}}
  %w = arith.constant dense<1.0> : tensor<2x3x2xf32>
  %c = tensor.collapse_shape %w [[0, 1], [2]] : tensor<2x3x2xf32> into tensor<6x2xf32>
  %y = func.call @layer(%x, %c) : (tensor<1x6xf32>, tensor<6x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// A reassociation index of 2^32 (MLIR 22's verifier sees 0; found by
// prune-fuzz, test/Upstream/fuzz-parser-crashes.test): the reshape is not
// followed, so no weight.
func.func @bad_reassociation(%x: tensor<1x6xf32>, %i: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x3x2xf32>
  %c = tensor.collapse_shape %w [[4294967296, 1], [2]] : tensor<2x3x2xf32> into tensor<6x2xf32>
  %y = linalg.matmul ins(%x, %c : tensor<1x6xf32>, tensor<6x2xf32>) outs(%i : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Generic contractions count; elementwise uses of constants do not.
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @generic(%x: tensor<2x4xf32>, %init: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.generic operand 1, roles [output, reduction], flops 48}}
  %w = arith.constant dense<2.0> : tensor<3x4xf32>
  %scale = arith.constant dense<3.0> : tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x4xf32>, tensor<3x4xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  %z = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %scale : tensor<2x3xf32>, tensor<2x3xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
}

// -----

// Resource weights are named by their key; elided data is reported.
func.func @resources(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-remark@+1 {{w0 'fc.weight': linalg.matmul operand 1, roles [reduction, output], flops 8, via []}}
  %w = arith.constant dense_resource<fc.weight> : tensor<2x2xf32>
  // expected-remark@+1 {{w1 '__elided__': linalg.matmul operand 1, roles [reduction, output], flops 8, via [], no data}}
  %v = arith.constant dense_resource<__elided__> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  %z = linalg.matmul ins(%y, %v : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %z : tensor<1x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      fc.weight: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

func.func @tosa_const(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.matmul operand 1}}
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Pooling is not a contraction; its window tensor is no weight.
func.func @pooling(%x: tensor<1x1x4x4xf32>, %init: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %win = arith.constant dense<1.0> : tensor<2x2xf32>
  %y = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %win : tensor<1x1x4x4xf32>, tensor<2x2xf32>) outs(%init : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// -----

// A stablehlo->linalg export: public @main holds the constants and calls the
// public @model, whose contractions use its arguments. Each call site's
// constant is a weight (the callee stays generic; a caller outside the module
// would pass its own). Ids follow the order of the callee's symbol uses.
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  // expected-remark@+1 {{w1 'w1': linalg.matmul operand 1, roles [output, reduction], flops 24, via [func.call, linalg.transpose]}}
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %y = func.call @model(%x, %w) : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
func.func @main2(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.matmul operand 1, roles [output, reduction], flops 24, via [func.call, linalg.transpose]}}
  %v = arith.constant dense<2.0> : tensor<3x4xf32>
  %y = func.call @model(%x, %v) : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
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

// A buddy-mlir style export: the weight is copied (linalg.copy) and
// transposed by a linalg.generic whose body only yields its input.
#in = affine_map<(d0, d1) -> (d1, d0)>
#out = affine_map<(d0, d1) -> (d0, d1)>
func.func @generic_copies(%x: tensor<1x4xf32>, %init: tensor<1x3xf32>) -> tensor<1x3xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.matmul operand 1, roles [output, reduction], flops 24, via [linalg.copy, linalg.generic]}}
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %e0 = tensor.empty() : tensor<3x4xf32>
  %c = linalg.copy ins(%w : tensor<3x4xf32>) outs(%e0 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %t = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel"]} ins(%c : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<4x3xf32>
  %y = linalg.matmul ins(%x, %t : tensor<1x4xf32>, tensor<4x3xf32>) outs(%init : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// A generic that computes (here: negates) is not a copy.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @not_a_copy(%x: tensor<1x4xf32>, %init: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  } -> tensor<4x3xf32>
  %y = linalg.matmul ins(%x, %n : tensor<1x4xf32>, tensor<4x3xf32>) outs(%init : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// TOSA: a torch-style linear layer (tosa.transpose + tosa.reshape into
// tosa.matmul), a conv2d and a depthwise conv2d. Biases and zero points are
// not weights.
func.func @tosa_fc(%x: tensor<1x2x4xf32>) -> tensor<1x2x3xf32> {
  // expected-remark@+1 {{w0 'w0': tosa.matmul operand 1, roles [output, reduction], flops 48, via [tosa.transpose, tosa.reshape]}}
  %w = "tosa.const"() {values = dense<1.0> : tensor<3x4xf32>} : () -> tensor<3x4xf32>
  %t = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %s = tosa.const_shape {values = dense<[1, 4, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %t, %s : (tensor<4x3xf32>, !tosa.shape<3>) -> tensor<1x4x3xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.matmul %x, %r, %zp, %zp : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}
func.func @tosa_conv(%x: tensor<1x5x5x2xf32>) -> tensor<1x3x3x4xf32> {
  // expected-remark@+1 {{w1 'w1': tosa.conv2d operand 1, roles [output, reduction, reduction, reduction], flops 1296, via []}}
  %w = "tosa.const"() {values = dense<1.0> : tensor<4x3x3x2xf32>} : () -> tensor<4x3x3x2xf32>
  %b = "tosa.const"() {values = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x2xf32>, tensor<4x3x3x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x4xf32>
  // expected-remark@+1 {{w2 'w2': tosa.depthwise_conv2d operand 1, roles [reduction, reduction, batch, output], flops 648, via []}}
  %dw = "tosa.const"() {values = dense<1.0> : tensor<3x3x4x1xf32>} : () -> tensor<3x3x4x1xf32>
  %d = tosa.depthwise_conv2d %y, %dw, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x3x3x4xf32>, tensor<3x3x4x1xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x4xf32>
  return %d : tensor<1x3x3x4xf32>
}

// -----

// A harness calls a model that holds its own weights with a constant input:
// the callee's own constant is the weight; what the caller passes for the
// other operand of the same contraction is data, not a weight.
func.func @harness() -> tensor<1x3xf32> {
  %x = arith.constant dense<1.0> : tensor<1x4xf32>
  %y = func.call @own_weights(%x) : (tensor<1x4xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
func.func @own_weights(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  // expected-remark@+1 {{w0 'w0': linalg.matmul operand 1, roles [reduction, output], flops 24, via []}}
  %w = arith.constant dense<2.0> : tensor<4x3xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x3xf32>) outs(%i : tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
