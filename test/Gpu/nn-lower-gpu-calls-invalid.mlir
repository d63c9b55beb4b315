// RUN: prune-opt %s -split-input-file -verify-diagnostics --nn-lower-gpu-calls

// A #prune.gpu_call must sit on a declaration of nn-lower-kernels' shape.

// expected-error @below {{nn-lower-gpu-calls: a #prune.gpu_call function must be a declaration}}
func.func private @defined(%y: memref<?x?xf32>, %x: memref<?x?xf32>, %w: memref<?xf32>, %b: memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 4, cols = 3, batch = 2, array_bytes = [48]>} {
  return
}

// -----

// expected-error @below {{nn-lower-gpu-calls: expected (y: memref<?x?xf32>, x: memref<?x?xf32>, 1 weight arrays: memref<?xT>, bias: memref<?xf32>)}}
func.func private @short(memref<?x?xf32>, memref<?x?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 4, cols = 3, batch = 2, array_bytes = [48]>}

// -----

// expected-error @below {{unknown GPU layout 'coo'}}
func.func private @bad_layout(memref<?x?xf32>, memref<?x?xf32>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "coo", rows = 4, cols = 3, batch = 2, array_bytes = [48]>}

// -----

// expected-error @below {{rows, cols and batch must be > 0}}
func.func private @bad_shape(memref<?x?xf32>, memref<?x?xf32>, memref<?xf32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "dense", rows = 0, cols = 3, batch = 2, array_bytes = [48]>}

// -----

// The sparse tensor core kernel reads its arrays by the shape alone: 40 x 64
// is 3 x 2 tiles, 3072 bytes of values and 384 of metadata.
// expected-error @below {{layout 'sptc24f16' of 40x64 needs array_bytes = [3072, 384] (values, metadata)}}
func.func private @bad_sptc_sizes(memref<?x?xf32>, memref<?x?xf32>, memref<?xi32>, memref<?xi32>, memref<?xf32>) attributes {prune.gpu_call = #prune.gpu_call<layout = "sptc24f16", rows = 40, cols = 64, batch = 1, array_bytes = [3072, 256]>}


// -----

// expected-error @below {{'prune.gpu_call' must be a #prune.gpu_call attribute}}
func.func private @not_a_call(memref<?x?xf32>) attributes {prune.gpu_call = 1 : i64}
