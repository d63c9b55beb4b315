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


def fc(name, batch, w, bias=None, transposed=False):
    """func.func @name: y = x W (W [in, out]), or the torch form x W^T (W
    [out, in], transposed=True), then + bias and ReLU when a bias is given."""
    n_in, n_out = (w.shape[1], w.shape[0]) if transposed else w.shape
    y = f"tensor<{batch}x{n_out}xf32>"
    lines = [f"func.func @{name}(%x: tensor<{batch}x{n_in}xf32>) -> {y} {{",
             "  %z = arith.constant 0.0 : f32",
             f"  %w = arith.constant {dense(w)} : "
             f"tensor<{w.shape[0]}x{w.shape[1]}xf32>"]
    if bias is not None:
        lines.append("  %b = arith.constant dense<["
                     + ", ".join(f"{v:.4f}" for v in bias)
                     + f"]> : tensor<{n_out}xf32>")
    x = f"tensor<{batch}x{n_in}xf32>"
    rhs = f"%w : {x}, tensor<{n_in}x{n_out}xf32>"
    if transposed:
        wt = f"tensor<{n_in}x{n_out}xf32>"
        lines += [f"  %et = tensor.empty() : {wt}",
                  "  %t = linalg.transpose ins(%w : "
                  f"tensor<{n_out}x{n_in}xf32>) outs(%et : {wt}) "
                  "permutation = [1, 0]"]
        rhs = f"%t : {x}, tensor<{n_in}x{n_out}xf32>"
    lines += [f"  %e = tensor.empty() : {y}",
              f"  %f = linalg.fill ins(%z : f32) outs(%e : {y}) -> {y}",
              f"  %m = linalg.matmul ins(%x, {rhs}) outs(%f : {y}) -> {y}"]
    relu = "%u" if transposed else "%t"  # (%t: the transposed weight)
    if bias is None:
        return "\n".join(lines + [f"  return %m : {y}", "}"])
    return "\n".join(lines + [
        "  %r = linalg.generic {indexing_maps = [#id, #row, #id], "
        "iterator_types = [\"parallel\", \"parallel\"]} "
        f"ins(%m, %b : {y}, tensor<{n_out}xf32>) outs(%e : {y}) {{",
        "  ^bb0(%a: f32, %c: f32, %o: f32):",
        "    %s = arith.addf %a, %c : f32",
        f"    {relu} = arith.maximumf %s, %z : f32",
        f"    linalg.yield {relu} : f32",
        f"  }} -> {y}",
        f"  return %r : {y}", "}"])


MAPS = """#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
"""

w1 = rng.standard_normal((64, 40)).astype(np.float32)
b1 = rng.standard_normal(40).astype(np.float32)
w2 = rng.standard_normal((24, 40)).astype(np.float32)
with open("two-layers.mlir", "w") as f:
    f.write("// Written by make_gpu_models.py (seeded): two fully connected "
            "layers for\n// the GPU lowering's tests.\n" + MAPS
            + fc("fc1", 1, w1, b1) + "\n"
            + fc("fc2", 4, w2, transposed=True) + "\n")
np.save("x1.npy", rng.standard_normal((1, 64)).astype(np.float32))
np.save("x4.npy", rng.standard_normal((4, 40)).astype(np.float32))

w3 = rng.standard_normal((16, 256)).astype(np.float32)
b3 = rng.standard_normal(16).astype(np.float32)
with open("long-rows.mlir", "w") as f:
    f.write("// Written by make_gpu_models.py (seeded): a layer with long "
            "rows for the\n// GPU lowering's tests.\n" + MAPS
            + fc("fc_long", 2, w3, b3, transposed=True) + "\n")
np.save("x2.npy", rng.standard_normal((2, 256)).astype(np.float32))
