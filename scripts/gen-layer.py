#!/usr/bin/python3
"""Writes a one-layer model (y[tokens, out] = x[tokens, in] @ W[in, out]) with
its weight in a safetensors file, and optionally calibration inputs, for
timing calibration and the Hessian criteria at LLM sizes (issue 15).

Usage: gen-layer.py --in=4096 --out=4096 --tokens=2048 [--samples=128]
                    [--seed=0] -o DIR
Writes DIR/layer.mlir, DIR/layer.safetensors and (with --samples) DIR/x.npy
([samples, tokens, in] f32, written a sample at a time). Then, e.g.:
  prune-opt DIR/layer.mlir --nn-calibrate="inputs=DIR/x.npy limit=128" \\
    --nn-prune="criterion=sparsegpt sparsity=0.5" --mlir-timing -o /dev/null
(run it in DIR's parent or give an absolute DIR: the IR names the weight
file by the path given here).
"""
import argparse
import json
import os
import struct

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in", dest="cols", type=int, default=4096)
    ap.add_argument("--out", dest="rows", type=int, default=4096)
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--samples", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    if min(a.cols, a.rows, a.tokens) <= 0 or a.samples < 0:
        ap.error("sizes must be positive")
    os.makedirs(a.output, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    w = rng.standard_normal((a.cols, a.rows), dtype=np.float32)
    w *= np.float32(1.0 / np.sqrt(a.cols))
    weights = os.path.join(a.output, "layer.safetensors")
    hdr = json.dumps({"w": {"dtype": "F32", "shape": [a.cols, a.rows],
                            "data_offsets": [0, w.nbytes]}}).encode()
    hdr += b" " * (-(8 + len(hdr)) % 64)
    with open(weights, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)))
        f.write(hdr)
        f.write(w.astype("<f4").tobytes())
    t, c, r = a.tokens, a.cols, a.rows
    with open(os.path.join(a.output, "layer.mlir"), "w") as f:
        f.write(f"""module attributes {{prune.weight_files = [{json.dumps(weights)}]}} {{
func.func @layer(%x: tensor<{t}x{c}xf32>) -> tensor<{t}x{r}xf32> {{
  %w = arith.constant dense_resource<w> : tensor<{c}x{r}xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{t}x{r}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{t}x{r}xf32>) -> tensor<{t}x{r}xf32>
  %m = linalg.matmul ins(%x, %w : tensor<{t}x{c}xf32>, tensor<{c}x{r}xf32>) outs(%f : tensor<{t}x{r}xf32>) -> tensor<{t}x{r}xf32>
  return %m : tensor<{t}x{r}xf32>
}}
}}
""")
    if a.samples:
        x = np.lib.format.open_memmap(os.path.join(a.output, "x.npy"), mode="w+",
                                      dtype=np.float32,
                                      shape=(a.samples, t, c))
        for i in range(a.samples):
            x[i] = rng.standard_normal((t, c), dtype=np.float32)
        x.flush()
    print(f"{a.output}: layer {c}x{r}, {t} tokens, {a.samples} samples")


if __name__ == "__main__":
    main()
