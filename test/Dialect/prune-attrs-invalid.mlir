// Every rule of the prune dialect's verifiers, one error each.
// RUN: prune-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{sparsity must be in [0, 1], got 1.5}}
%0 = arith.constant {prune.decision = #prune.decision<name = "w", criterion = magnitude, pattern = unstructured, scope = layer, sparsity = 1.5, zeros = 2, elements = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{expected 0 <= zeros <= elements, got zeros = 5, elements = 4}}
%0 = arith.constant {prune.decision = #prune.decision<name = "w", criterion = magnitude, pattern = unstructured, scope = layer, sparsity = 0.5, zeros = 5, elements = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{pattern nm needs 0 <= n < m, got n = 4, m = 4}}
%0 = arith.constant {prune.decision = #prune.decision<name = "w", criterion = magnitude, pattern = nm, n = 4, m = 4, scope = layer, sparsity = 0.5, zeros = 2, elements = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{n and m are for pattern nm only}}
%0 = arith.constant {prune.decision = #prune.decision<name = "w", criterion = magnitude, pattern = unstructured, n = 2, m = 4, scope = layer, sparsity = 0.5, zeros = 2, elements = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{pattern block needs block_rows > 0 and block_cols > 0}}
%0 = arith.constant {prune.decision = #prune.decision<name = "w", criterion = magnitude, pattern = block, scope = layer, sparsity = 0.5, zeros = 2, elements = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{block_rows and block_cols are for pattern block only}}
%0 = arith.constant {prune.decision = #prune.decision<name = "w", criterion = magnitude, pattern = channel, block_rows = 2, block_cols = 1, scope = layer, sparsity = 0.5, zeros = 2, elements = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+2 {{expected ::mlir::prune::Criterion to be one of: magnitude, random, obd, wanda, sparsegpt, obs, activation, entropy}}
// expected-error @+1 {{failed to parse Prune_DecisionAttr parameter 'criterion'}}
%0 = arith.constant {prune.decision = #prune.decision<name = "w", criterion = l1, pattern = unstructured, scope = layer, sparsity = 0.5, zeros = 2, elements = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+2 {{unknown storage format 'coo' (formats: dense csr bitmask bsr nm csr-tiled csr-window)}}
// expected-error @+1 {{failed to parse Prune_LayoutAttr parameter 'format'}}
%0 = arith.constant {prune.layout = #prune.layout<format = coo>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{format 'csr-tiled' is a materialized layout, not a choice (csr-tiled is csr with regime = batched)}}
%0 = arith.constant {prune.layout = #prune.layout<format = "csr-tiled">} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{format 'bsr' has no batched regime (csr, csr-window, bitmask and nm do)}}
%0 = arith.constant {prune.layout = #prune.layout<format = bsr, regime = batched, block_rows = 2, block_cols = 2>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{format 'bitmask' has no GPU kernels (target = gpu: dense, csr, bsr and nm)}}
%0 = arith.constant {prune.layout = #prune.layout<format = bitmask, target = gpu>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{target = gpu has no value type but f32 (the GPU kernels read f32 values)}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, value_type = i8, target = gpu>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+2 {{unknown value type 'int4' (f32, bf16, f16, i8)}}
// expected-error @+1 {{failed to parse Prune_LayoutAttr parameter 'value_type'}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, value_type = int4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{target = gpu has no batched regime (the GPU kernels run csr, bsr and nm as they are at every batch)}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, target = gpu, regime = batched>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+2 {{expected ::mlir::prune::Target to be one of: cpu, gpu}}
// expected-error @+1 {{failed to parse Prune_LayoutAttr parameter 'target'}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, target = tpu>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{block_rows and block_cols (both > 0) go with format bsr, and only with it}}
%0 = arith.constant {prune.layout = #prune.layout<format = bsr>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{n and m (0 <= n < m) go with format nm, and only with it}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, n = 2, m = 4>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{index_bits must be one of 0, 1, 2, 8, 16, 32, 64, got 12}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, index_bits = 12>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{batch must be >= 1, got 0}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, batch = 0>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{costs: 'coo' is not a storage format}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, costs = {coo = 1.0}>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{costs: the cost of 'csr' must be a float (ns)}}
%0 = arith.constant {prune.layout = #prune.layout<format = csr, costs = {csr = "fast"}>} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{'prune.layout' must be a #prune.layout attribute}}
%0 = arith.constant {prune.layout = "csr"} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{'prune.decision' must be a #prune.decision attribute}}
%0 = arith.constant {prune.decision = {zeros = 2}} dense<0.0> : tensor<2x2xf32>

// -----

// expected-error @+1 {{unknown attribute 'prune.format' of the prune dialect (expected 'prune.decision', 'prune.layout', 'prune.gpu_call' or 'prune.weight_files')}}
%0 = arith.constant {prune.format = "csr"} dense<0.0> : tensor<2x2xf32>
