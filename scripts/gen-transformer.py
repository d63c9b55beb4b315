#!/usr/bin/python3
"""Writes a synthetic decoder-only transformer in linalg on tensors, with the
weight shapes of an LLM, for scale tests and benchmarks (issue 15).

Each decoder block has the attention projections q, k, v, o (d x d) and a
gated MLP: gate and up (d -> ff), their product, down (ff -> d). The layers
are chained as matmuls on x [tokens, d] (the attention itself is left out:
it has no constant weights). Weights are f32 `dense_resource` blobs,
seeded-random (N(0, 1/d)), written straight from numpy: a 100M-parameter
model is ~800 MB of text (convert it to bytecode with
`prune-opt --emit-bytecode` for a ~400 MB file).

With --weights=FILE.safetensors the weights go to that file instead (the
IR names it in `prune.weight_files` and keeps `dense_resource` keys without
blobs): models larger than memory, for the external-weights path.

Usage: gen-transformer.py --params=10M|100M|1B|<d>x<ff>x<blocks>
                          [--tokens=1] [--seed=0] [--weights=W.safetensors]
                          -o OUT.mlir
"""
import argparse
import json
import struct
import sys

import numpy as np

# Shapes of the named sizes: (d, ff, blocks); ff ~ 2.75 d (LLaMA-style).
SIZES = {
    "tiny": (64, 176, 2),        # 0.1M parameters, for tests
    "10M": (512, 1408, 3),       # 9.6M
    "100M": (1024, 2816, 8),     # 102.8M
    "1B": (2048, 5632, 20),      # 1.03B
}


def parse_size(text):
    if text in SIZES:
        return SIZES[text]
    try:
        d, ff, blocks = (int(v) for v in text.split("x"))
    except ValueError:
        sys.exit(f"gen-transformer.py: bad --params '{text}' "
                 f"(one of {', '.join(SIZES)} or DxFFxBLOCKS)")
    if min(d, ff, blocks) <= 0:
        sys.exit("gen-transformer.py: sizes must be positive")
    return d, ff, blocks


def random_weight(rng, rows, cols):
    w = rng.standard_normal((rows, cols), dtype=np.float32)
    w *= np.float32(1.0 / np.sqrt(rows))
    return w


def write_safetensors(path, weights, rng):
    """The weights as one safetensors file, written a tensor at a time."""
    header, offset = {}, 0
    for name, rows, cols in weights:
        size = rows * cols * 4
        header[name] = {"dtype": "F32", "shape": [rows, cols],
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 64)  # 64-byte aligned data
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for name, rows, cols in weights:
            out.write(random_weight(rng, rows, cols).astype("<f4").tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="10M")
    ap.add_argument("--tokens", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights", default=None,
                    help="write the weights to this safetensors file")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    d, ff, blocks = parse_size(args.params)
    t = args.tokens
    if t <= 0:
        sys.exit("gen-transformer.py: --tokens must be positive")
    rng = np.random.default_rng(args.seed)
    weights = []  # (name, rows (in), cols (out))
    for b in range(blocks):
        for p in "qkvo":
            weights.append((f"blk{b}_{p}", d, d))
        weights += [(f"blk{b}_gate", d, ff), (f"blk{b}_up", d, ff),
                    (f"blk{b}_down", ff, d)]
    params = sum(r * c for _, r, c in weights)
    with open(args.output, "w") as f:
        f.write(f"// Synthetic transformer (scripts/gen-transformer.py "
                f"--params={args.params} --tokens={t} --seed={args.seed}): "
                f"d={d}, ff={ff}, {blocks} blocks, {params} parameters.\n")
        f.write("#id = affine_map<(d0, d1) -> (d0, d1)>\n")
        if args.weights:
            f.write(f"module attributes {{prune.weight_files = "
                    f"[{json.dumps(args.weights)}]}} {{\n")
        f.write(f"func.func @model(%x: tensor<{t}x{d}xf32>) -> "
                f"tensor<{t}x{d}xf32> {{\n")
        f.write("  %zero = arith.constant 0.0 : f32\n")
        h = "%x"
        n = 0

        def matmul(x, name, rows, cols):
            nonlocal n
            n += 1
            f.write(f"  %w{n} = arith.constant dense_resource<{name}> : "
                    f"tensor<{rows}x{cols}xf32>\n"
                    f"  %e{n} = tensor.empty() : tensor<{t}x{cols}xf32>\n"
                    f"  %f{n} = linalg.fill ins(%zero : f32) outs(%e{n} : "
                    f"tensor<{t}x{cols}xf32>) -> tensor<{t}x{cols}xf32>\n"
                    f"  %m{n} = linalg.matmul ins({x}, %w{n} : "
                    f"tensor<{t}x{rows}xf32>, tensor<{rows}x{cols}xf32>) "
                    f"outs(%f{n} : tensor<{t}x{cols}xf32>) -> "
                    f"tensor<{t}x{cols}xf32>\n")
            return f"%m{n}"

        for b in range(blocks):
            for p in "qkvo":
                h = matmul(h, f"blk{b}_{p}", d, d)
            g = matmul(h, f"blk{b}_gate", d, ff)
            u = matmul(h, f"blk{b}_up", d, ff)
            n += 1
            f.write(f"  %e{n} = tensor.empty() : tensor<{t}x{ff}xf32>\n"
                    f"  %gu{n} = linalg.generic {{indexing_maps = [#id, #id, "
                    f"#id], iterator_types = [\"parallel\", \"parallel\"]}} "
                    f"ins({g}, {u} : tensor<{t}x{ff}xf32>, "
                    f"tensor<{t}x{ff}xf32>) outs(%e{n} : "
                    f"tensor<{t}x{ff}xf32>) {{\n"
                    f"  ^bb0(%a: f32, %c: f32, %o: f32):\n"
                    f"    %p = arith.mulf %a, %c : f32\n"
                    f"    linalg.yield %p : f32\n"
                    f"  }} -> tensor<{t}x{ff}xf32>\n")
            h = matmul(f"%gu{n}", f"blk{b}_down", ff, d)
        f.write(f"  return {h} : tensor<{t}x{d}xf32>\n}}\n")
        if args.weights:
            f.write("}\n")
            write_safetensors(args.weights, weights, rng)
            print(f"{args.output}: d={d} ff={ff} blocks={blocks} "
                  f"parameters={params} ({params * 4 / 2**20:.1f} MiB of "
                  f"f32 in {args.weights})")
            return
        f.write("\n{-#\n  dialect_resources: {\n    builtin: {\n")
        for i, (name, rows, cols) in enumerate(weights):
            w = random_weight(rng, rows, cols)
            # A blob: its alignment (4, little-endian u32), then the bytes.
            f.write(f"      {name}: \"0x04000000")
            f.write(w.astype("<f4").tobytes().hex().upper())
            f.write("\"" + ("," if i + 1 < len(weights) else "") + "\n")
        f.write("    }\n  }\n#-}\n")
    print(f"{args.output}: d={d} ff={ff} blocks={blocks} "
          f"parameters={params} ({params * 4 / 2**20:.1f} MiB of f32)")


if __name__ == "__main__":
    main()
