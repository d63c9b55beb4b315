// Every option value that is out of range is an error naming the option;
// none is silently taken (an empty `sparsity=` used to mean 0.0).
// RUN: not prune-opt %s --nn-prune=sparsity= 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not prune-opt %s --pass-pipeline="builtin.module(nn-prune{n=2 sparsity=})" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: nn-prune: option 'sparsity' needs a value
// EMPTY-NOT: error: {{$}}
// RUN: not prune-opt %s --nn-prune=damp=-1 2>&1 | FileCheck %s --check-prefix=DAMP
// RUN: not prune-opt %s --nn-prune=damp=nan 2>&1 | FileCheck %s --check-prefix=DAMP
// DAMP: error: nn-prune: option 'damp' must be a finite number >= 0
// RUN: not prune-opt %s "--nn-prune=refit=lsq refit-tolerance=0" 2>&1 | FileCheck %s --check-prefix=RTOL
// RUN: not prune-opt %s "--nn-prune=refit=lsq refit-tolerance=nan" 2>&1 | FileCheck %s --check-prefix=RTOL
// RUN: not prune-opt %s "--nn-prune=refit=lsq refit-tolerance=1" 2>&1 | FileCheck %s --check-prefix=RTOL
// RTOL: error: nn-prune: option 'refit-tolerance' must be in (0, 1), got
// RUN: not prune-opt %s --nn-prune=refit-tolerance=1e-2 2>&1 | FileCheck %s --check-prefix=RTOL-LSQ
// RTOL-LSQ: error: nn-prune: option 'refit-tolerance' is for refit=lsq
// RUN: not prune-opt %s --nn-prune=sparsity=nan 2>&1 | FileCheck %s --check-prefix=SPARSITY
// SPARSITY: error: nn-prune: option 'sparsity' must be in [0, 1)
// RUN: not prune-opt %s --nn-sparsify=min-sparsity=1.5 2>&1 | FileCheck %s --check-prefix=MINS
// RUN: not prune-opt %s --nn-sparsify=min-sparsity=nan 2>&1 | FileCheck %s --check-prefix=MINS
// MINS: error: nn-sparsify: option 'min-sparsity' must be in [0, 1]
// RUN: not prune-opt %s --nn-sparsify=bandwidth-gbs=0 2>&1 | FileCheck %s --check-prefix=BW
// RUN: not prune-opt %s --nn-sparsify=bandwidth-gbs=nan 2>&1 | FileCheck %s --check-prefix=BW
// BW: error: nn-sparsify: option 'bandwidth-gbs' must be a finite number > 0
// RUN: not prune-opt %s --nn-sparsify=cache-kib=-1 2>&1 | FileCheck %s --check-prefix=CACHE
// CACHE: error: nn-sparsify: option 'cache-kib' must be >= 0
// RUN: not prune-opt %s "--nn-sparsify=formats=csr,coo" 2>&1 | FileCheck %s --check-prefix=FORMATS
// RUN: not prune-opt %s "--nn-sparsify=formats=csr-tiled" 2>&1 | FileCheck %s --check-prefix=FORMATS
// FORMATS: error: nn-sparsify: option 'formats': '{{coo|csr-tiled}}' is not a storage format nn-sparsify can choose
// RUN: not prune-opt %s "--nn-sparsify=format=csr formats=csr" 2>&1 | FileCheck %s --check-prefix=FORMATS-AUTO
// FORMATS-AUTO: error: nn-sparsify: option 'formats' is for format=auto
// RUN: not prune-opt %s --nn-sparsify=gpu-bandwidth-gbs=-1 2>&1 | FileCheck %s --check-prefix=GPUBW
// RUN: not prune-opt %s --nn-sparsify=gpu-bandwidth-gbs=inf 2>&1 | FileCheck %s --check-prefix=GPUBW
// GPUBW: error: nn-sparsify: option 'gpu-bandwidth-gbs' must be a finite number >= 0 (0 = the chip's), got
// RUN: not prune-opt %s "--nn-sparsify=target=gpu format=bitmask" 2>&1 | FileCheck %s --check-prefix=GPUFMT
// GPUFMT: error: nn-sparsify: format=bitmask has no GPU kernels (target=gpu runs dense, csr, bsr and nm)
// RUN: not prune-opt %s --nn-sparsify=target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: for the --target option: Cannot find option named 'tpu'!
// RUN: not prune-opt %s "--nn-sparsify=target=gpu gpu-chip=sm_70" 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: for the --gpu-chip option: Cannot find option named 'sm_70'!
// RUN: not prune-opt %s --nn-lower-cpu=vl=6 2>&1 | FileCheck %s --check-prefix=VL
// RUN: not prune-opt %s --nn-lower-cpu=vl=-8 2>&1 | FileCheck %s --check-prefix=VL
// VL: error: nn-lower-cpu: option 'vl' must be 0 (scalar) or a power of two, got
// RUN: not prune-opt %s --nn-sparsify=csr-tiled-batch=-1 2>&1 | FileCheck %s --check-prefix=TILED
// TILED: error: nn-sparsify: option 'csr-tiled-batch' must be >= 0, got -1
// RUN: not prune-opt %s --nn-lower-kernels=csr-tiled-batch=-1 2>&1 | FileCheck %s --check-prefix=TILEDK
// TILEDK: error: nn-lower-kernels: option 'csr-tiled-batch' must be >= 0, got -1
// RUN: not prune-opt %s --nn-calibrate="inputs=x.npy max-memory-mib=-1" 2>&1 | FileCheck %s --check-prefix=MEM
// MEM: error: nn-calibrate: max-memory-mib must be >= 0
// A bad value reported by the option parser has no stray empty error.
// RUN: not prune-opt %s --nn-prune=sparsity=abc 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: for the --sparsity option: 'abc' value invalid for floating point argument!
// PARSE-NOT: error: {{$}}

func.func @f(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
