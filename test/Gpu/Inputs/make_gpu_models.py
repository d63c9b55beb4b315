#!/usr/bin/python3
"""Writes the GPU lowering tests' model and inputs (seeded; run from here).

two-layers.mlir: @fc1, 64 -> 40 at batch 1 with bias + ReLU (a warp per
row), and @fc2, 40 -> 24 at batch 4 (the transpose and the row tiles; a
torch-style transposed weight). x1.npy: [1, 64], x4.npy: [4, 40].
long-rows.mlir: @fc_long, 256 -> 16 at batch 2 with bias + ReLU (one block
of the sparse tensor core kernel, K split in two parts). x2.npy: [2, 256].
"""
import numpy as np

rng = np.random.default_rng(13)


def dense(a):
    rows = ", ".join("[" + ", ".join(f"{v:.4f}" for v in r) + "]" for r in a)
    return f"dense<[{rows}]>"


w1 = rng.standard_normal((64, 40)).astype(np.float32)
b1 = rng.standard_normal(40).astype(np.float32)
w2 = rng.standard_normal((24, 40)).astype(np.float32)
with open("two-layers.mlir", "w") as f:
    f.write(f"""// Written by make_gpu_models.py (seeded): two fully connected layers for
// the GPU lowering's tests.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @fc1(%x: tensor<1x64xf32>) -> tensor<1x40xf32> {{
  %z = arith.constant 0.0 : f32
  %w = arith.constant {dense(w1)} : tensor<64x40xf32>
  %b = arith.constant dense<[{", ".join(f"{v:.4f}" for v in b1)}]> : tensor<40xf32>
  %e = tensor.empty() : tensor<1x40xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x40xf32>) -> tensor<1x40xf32>
  %m = linalg.matmul ins(%x, %w : tensor<1x64xf32>, tensor<64x40xf32>) outs(%f : tensor<1x40xf32>) -> tensor<1x40xf32>
  %r = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}} ins(%m, %b : tensor<1x40xf32>, tensor<40xf32>) outs(%e : tensor<1x40xf32>) {{
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %t = arith.maximumf %s, %z : f32
    linalg.yield %t : f32
  }} -> tensor<1x40xf32>
  return %r : tensor<1x40xf32>
}}
func.func @fc2(%x: tensor<4x40xf32>) -> tensor<4x24xf32> {{
  %z = arith.constant 0.0 : f32
  %w = arith.constant {dense(w2)} : tensor<24x40xf32>
  %et = tensor.empty() : tensor<40x24xf32>
  %t = linalg.transpose ins(%w : tensor<24x40xf32>) outs(%et : tensor<40x24xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<4x24xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x24xf32>) -> tensor<4x24xf32>
  %m = linalg.matmul ins(%x, %t : tensor<4x40xf32>, tensor<40x24xf32>) outs(%f : tensor<4x24xf32>) -> tensor<4x24xf32>
  return %m : tensor<4x24xf32>
}}
""")
np.save("x1.npy", rng.standard_normal((1, 64)).astype(np.float32))
np.save("x4.npy", rng.standard_normal((4, 40)).astype(np.float32))
w3 = rng.standard_normal((16, 256)).astype(np.float32)
b3 = rng.standard_normal(16).astype(np.float32)
with open("long-rows.mlir", "w") as f:
    f.write(f"""// Written by make_gpu_models.py (seeded): a layer with long rows for the
// GPU lowering's tests.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @fc_long(%x: tensor<2x256xf32>) -> tensor<2x16xf32> {{
  %z = arith.constant 0.0 : f32
  %w = arith.constant {dense(w3)} : tensor<16x256xf32>
  %b = arith.constant dense<[{", ".join(f"{v:.4f}" for v in b3)}]> : tensor<16xf32>
  %et = tensor.empty() : tensor<256x16xf32>
  %t = linalg.transpose ins(%w : tensor<16x256xf32>) outs(%et : tensor<256x16xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<2x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x16xf32>) -> tensor<2x16xf32>
  %m = linalg.matmul ins(%x, %t : tensor<2x256xf32>, tensor<256x16xf32>) outs(%f : tensor<2x16xf32>) -> tensor<2x16xf32>
  %r = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}} ins(%m, %b : tensor<2x16xf32>, tensor<16xf32>) outs(%e : tensor<2x16xf32>) {{
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %u = arith.maximumf %s, %z : f32
    linalg.yield %u : f32
  }} -> tensor<2x16xf32>
  return %r : tensor<2x16xf32>
}}
""")
np.save("x2.npy", rng.standard_normal((2, 256)).astype(np.float32))
