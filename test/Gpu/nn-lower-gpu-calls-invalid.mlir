// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-lower-gpu-calls

// A #prune.gpu_call must sit on a declaration of nn-lower-kernels' shape.

// expected-error @below {{nn-lower-gpu-calls: a #prune.gpu_call function must be a declaration}}
func.func private @defined(%y: memref<?x?xf32>, %x: memref<?x?xf32>, %w: memref<?xf32>, %b: memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 4, cols = 3, batch = 2, array_bytes = 48>} {
  return
}

// -----

// expected-error @below {{nn-lower-gpu-calls: expected (y: memref<?x?xf32>, x: memref<?x?xf32>, 1 weight arrays: memref<?xT>, bias: memref<?xf32>)}}
func.func private @short(memref<?x?xf32>, memref<?x?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 4, cols = 3, batch = 2, array_bytes = 48>}

// -----

// expected-error @below {{unknown GPU layout 'coo'}}
func.func private @bad_layout(memref<?x?xf32>, memref<?x?xf32>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "coo", rows = 4, cols = 3, batch = 2, array_bytes = 48>}

// -----

// expected-error @below {{rows, cols and batch must be > 0}}
func.func private @bad_shape(memref<?x?xf32>, memref<?x?xf32>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 0, cols = 3, batch = 2, array_bytes = 48>}

// -----

// expected-error @below {{'prune.gpu_call' must be a #prune.gpu_call attribute}}
func.func private @not_a_call(memref<?x?xf32>) attributes {prune.gpu_call = 1 : i64}
