// nn-prune{budget-bytes|budget-latency}: per-layer sparsities chosen by the
// bytes / predicted ns of the formats nn-sparsify would pick.

// Bytes: 50 % and 25 % of the dense 37888 bytes of examples/mlp.mlir's
// weights. The decisions record the predictions, nn-report's total is what
// nn-sparsify stored (plus nothing else: the biases are not weights).
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-bytes=0.5 --nn-sparsify \
// RUN:   --nn-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=B50
// B50: remark: nn-prune: budget-bytes=0.5: predicted 18128 of the dense 37888 bytes (47.8%)
// B50-DAG: fc2.weight {{.*}} 0.0%    0.0% dense  {{.*}} 5.0KiB     5.0KiB
// B50-DAG: fc1.weight {{.*}} 65.0%   65.0% bitmask {{.*}} 32.0KiB    12.7KiB
// B50: total: 2 weights, {{.*}}; 37.0KiB -> 17.7KiB (2.09x smaller)

// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-bytes=0.25 -o - 2>&1 \
// RUN:   | FileCheck %s --check-prefix=D25
// D25: remark: nn-prune: budget-bytes=0.25: predicted 9220 of the dense 37888 bytes (24.3%)
// D25-DAG: name = "fc1.weight", criterion = magnitude, pattern = unstructured, scope = adaptive, sparsity = 0.85{{0*[0-9]*}}, zeros = 6963, elements = 8192, predicted_bytes = 6456, predicted_ns = {{[0-9]+}}>
// D25-DAG: name = "fc2.weight", criterion = magnitude, pattern = unstructured, scope = adaptive, sparsity = 5.000000e-01, zeros = 640, elements = 1280, predicted_bytes = 2764, predicted_ns = {{[0-9]+}}>
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-bytes=0.25 --nn-sparsify \
// RUN:   --nn-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=B25
// B25: total: 2 weights, {{.*}}; 37.0KiB -> 9.0KiB (4.11x smaller)

// Latency: the ns of the formats nn-sparsify{objective=latency} picks.
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-latency=0.5 -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=LAT
// LAT: remark: nn-prune: budget-latency=0.5: predicted {{[0-9]+}} of the dense {{[0-9]+}} ns ({{(4[0-9]|50)}}.{{[0-9]}}%)

// A budget of 1 prunes nothing; no budget records no prediction.
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-bytes=1 -o - 2>&1 | FileCheck %s --check-prefix=ONE
// ONE-COUNT-2: sparsity = 0.000000e+00, zeros = 0, elements = {{[0-9]+}}, predicted_bytes
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.5 -o - | FileCheck %s --check-prefix=NONE
// NONE-NOT: predicted_

// Diagnostics.
// RUN: not prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-bytes=1.5 -o /dev/null 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: nn-prune: option 'budget-bytes' must be a fraction of the dense cost in (0, 1], got 1.5
// RUN: not prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-latency=-0.1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=NEG
// NEG: error: nn-prune: option 'budget-latency' must be a fraction of the dense cost in (0, 1], got -0.1
// RUN: not prune-opt %prune_src/examples/mlp.mlir "--nn-prune=budget-bytes=0.5 budget-latency=0.5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: nn-prune: budget-bytes and budget-latency are exclusive
// RUN: not prune-opt %prune_src/examples/mlp.mlir "--nn-prune=budget-bytes=0.5 sparsity=0.3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SPARSITY
// SPARSITY: error: nn-prune: budget-bytes chooses the per-layer sparsities itself (pattern=unstructured, adaptive allocation): drop option 'sparsity'
// RUN: not prune-opt %prune_src/examples/mlp.mlir "--nn-prune=budget-bytes=0.5 scope=adaptive" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SCOPE
// SCOPE: drop option 'scope'
// RUN: not prune-opt %prune_src/examples/mlp.mlir "--nn-prune=budget-latency=0.5 layer-sparsity=fc1:0.3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OVERRIDE
// OVERRIDE: error: nn-prune: budget-latency chooses {{.*}} drop option 'layer-sparsity'
// RUN: not prune-opt %prune_src/examples/mlp.mlir "--nn-prune=budget-bytes=0.5 pattern=nm" -o /dev/null 2>&1 | FileCheck %s --check-prefix=PATTERN
// PATTERN: drop option 'pattern'
// RUN: prune-opt %prune_src/examples/mlp.mlir "--nn-prune=budget-bytes=0.5 pattern=unstructured" -o /dev/null
// RUN: not prune-opt %prune_src/examples/mlp.mlir --nn-prune=budget-bytes=0.01 -o /dev/null 2>&1 | FileCheck %s --check-prefix=REACH
// REACH: error: nn-prune: budget-bytes=0.01 cannot be met: at most 98% per layer, the 2 weights are predicted at 1510 bytes (4.0% of the dense 37888 bytes)
