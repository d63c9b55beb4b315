// RUN: prune-opt %s --nn-prune="pattern=nm n=2 m=4" -verify-diagnostics
// RUN: not prune-opt %s --nn-prune="pattern=nm n=4 m=4" 2>&1 | FileCheck %s --check-prefix=NM
// RUN: not prune-opt %s --nn-prune="pattern=block block=4y1" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not prune-opt %s --nn-prune="pattern=block block=0x4" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not prune-opt %s --nn-prune="pattern=diagonal" 2>&1 | FileCheck %s --check-prefix=PATTERN

// NM: error: nn-prune: N:M needs 0 <= n < m, got n=4 m=4
// BLOCK: error: nn-prune: option 'block' must be OUTxIN with positive sizes (e.g. 4x1)
// PATTERN: Cannot find option named 'diagonal'

// A reduction size of 6 has no whole groups of 4: left untouched, and the
// pass says it pruned nothing.
// expected-warning@+1 {{nn-prune: nothing pruned: every one of the 1 weights was skipped}}
module {
func.func @ragged(%x: tensor<1x6xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-remark@+1 {{nn-prune: weight 'w0' left untouched: its reduction size 6 is not a multiple of m=4}}
  %w = arith.constant dense<1.0> : tensor<6x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x6xf32>, tensor<6x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
}
