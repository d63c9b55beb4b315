// nn-sparsify{value-type}: how the kernel layouts store the weights' values.
// examples/mlp.mlir at 90 %: fc1 128x64 (819 entries), fc2 10x128 (128).

// i8 csr: 819 values (1 B) + 128 row scales (4 B) + rowptr 129 x 4 B + 819
// u8 columns = 2666 B (f32 csr: 5123 B).
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=format=csr value-type=i8" \
// RUN:   | FileCheck %s --check-prefix=I8
// I8: prune.layout = #prune.layout<format = csr, value_type = i8, index_bits = 8, bytes = 2666,
// I8: prune.layout = #prune.layout<format = csr, value_type = i8, index_bits = 8, bytes = 340,

// Dense weights with narrower values keep a kernel layout (format=dense).
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=format=dense value-type=f16" \
// RUN:   | FileCheck %s --check-prefix=F16
// F16: arith.constant {{.*}}prune.layout = #prune.layout<format = dense, value_type = f16, bytes = 16384,
// F16: arith.constant {{.*}}prune.layout = #prune.layout<format = dense, value_type = f16, bytes = 2560,

// auto: every (format, value type) pair is a candidate; memory-bound
// (cache-kib=0 bandwidth-gbs=1) the smallest wins: i8 csr-window (2457 B:
// a u16 per entry, 5 bytes of mask and window move per pair of 16-row
// steps; i8 csr 2666 B), or among value-types=f32,f16 the f16 one.
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=isa=avx512 value-type=auto cache-kib=0 bandwidth-gbs=1" \
// RUN:   | FileCheck %s --check-prefix=AUTO
// AUTO: prune.layout = #prune.layout<format = "csr-window", value_type = i8, index_bits = 8, bytes = 2457, costs = {bitmask = {{.*}}, csr = {{.*}}, "csr-window" = {{.*}}, dense = {{.*}}}>
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=isa=avx512 value-type=auto value-types=f32,f16 cache-kib=0 bandwidth-gbs=1" \
// RUN:   | FileCheck %s --check-prefix=AUTO16
// AUTO16: prune.layout = #prune.layout<format = "csr-window", value_type = f16, index_bits = 8, bytes = 2806,
// A tiny cache-resident layer: the i8 scales (4 B per row) outweigh their
// savings, bf16 is smaller (tosa-style 64x64 at 95 %: 875 B vs 926 B i8).

// The report: value type and bytes stored per weight.
// RUN: prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=format=csr value-type=i8" \
// RUN:   --nn-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// REPORT: format vals idx           bytes     stored   B/w
// REPORT: fc1.weight {{.*}} 90.0% csr    i8   u8          32.0KiB     2.6KiB  0.33
// REPORT: fc2.weight {{.*}} 90.0% csr    i8   u8           5.0KiB       340B  0.27

// Bad values, and the GPU (f32 kernels only).
// RUN: not prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 --nn-sparsify=value-type=int8 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: nn-sparsify: option 'value-type' must be f32, bf16, f16, i8 or auto, got 'int8'
// RUN: not prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=value-type=auto value-types=f32,q4" 2>&1 | FileCheck %s --check-prefix=BADLIST
// BADLIST: error: nn-sparsify: option 'value-types' must be f32, bf16, f16 or i8, got 'q4'
// RUN: not prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=value-type=i8 value-types=f16" 2>&1 | FileCheck %s --check-prefix=NOTAUTO
// NOTAUTO: error: nn-sparsify: option 'value-types' is for value-type=auto
// RUN: not prune-opt %prune_src/examples/mlp.mlir --nn-prune=sparsity=0.9 "--nn-sparsify=target=gpu value-type=bf16" 2>&1 | FileCheck %s --check-prefix=GPU
// GPU: error: nn-sparsify: target=gpu has no value type but f32 (the GPU kernels read f32 values)
// A budget's planned i8 with target=gpu: stored f32, with a remark.
// RUN: prune-opt %prune_src/examples/mlp.mlir "--nn-prune=budget-bytes=0.2 budget-value-types=f32,i8" --nn-sparsify=target=gpu \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPUPLAN
// GPUPLAN-COUNT-2: nn-sparsify: weight '{{fc[12].weight}}' stays f32 with target=gpu (the GPU kernels read f32 values), not the i8 its budget planned
