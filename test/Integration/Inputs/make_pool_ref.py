#!/usr/bin/env python3
"""Inputs and reference outputs of pooling.mlir, in plain Python.

Writes pool_x.npy (4 samples of 2x3x9x11 floats from a fixed LCG) and
pool_ref.npy (max 3x3 s2 + sum 2x2 s2 + max 2x3 s2, in float64 rounded to
f32), and the same in NHWC for pooling-nhwc.mlir (pool_nhwc_x.npy,
pool_nhwc_ref.npy); test/Integration/pooling.test compares the compiled
models with them.

    python3 test/Integration/Inputs/make_pool_ref.py          # (re)write
    python3 test/Integration/Inputs/make_pool_ref.py --check  # compare
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_family_refs import f32, read_npy, write_npy  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
N, C, H, W, OH, OW, SAMPLES = 2, 3, 9, 11, 4, 5, 4


def inputs():
    state, out = 12345, []
    for _ in range(SAMPLES * N * C * H * W):
        state = (1103515245 * state + 12345) % 2**31
        out.append(f32(state / 2**31 * 8.0 - 4.0))
    return out


def pool(x, n, c, kh, kw, reduce):
    def at(i, j):
        return x[((n * C + c) * H + i) * W + j]
    return [[reduce([at(2 * oh + a, 2 * ow + b) for a in range(kh)
                     for b in range(kw)]) for ow in range(OW)]
            for oh in range(OH)]


def reference(x):
    out = []
    for n in range(N):
        for c in range(C):
            a = pool(x, n, c, 3, 3, max)
            b = pool(x, n, c, 2, 2, sum)
            m = pool(x, n, c, 2, 3, max)
            out += [f32(a[i][j] + b[i][j] + m[i][j])
                    for i in range(OH) for j in range(OW)]
    return out


def nchw_to_nhwc(flat, c, h, w):
    """One sample's [N, C, H, W] row-major values as [N, H, W, C]."""
    n = len(flat) // (c * h * w)
    return [flat[((b * c + k) * h + i) * w + j] for b in range(n)
            for i in range(h) for j in range(w) for k in range(c)]


def main():
    xs = inputs()
    size = N * C * H * W
    ref = []
    for s in range(SAMPLES):
        ref += reference(xs[s * size:(s + 1) * size])
    xs_nhwc, ref_nhwc = [], []
    out_size = N * C * OH * OW
    for s in range(SAMPLES):
        xs_nhwc += nchw_to_nhwc(xs[s * size:(s + 1) * size], C, H, W)
        ref_nhwc += nchw_to_nhwc(ref[s * out_size:(s + 1) * out_size], C, OH, OW)
    files = {"pool_x.npy": ([SAMPLES, N, C, H, W], xs),
             "pool_ref.npy": ([SAMPLES, N, C, OH, OW], ref),
             "pool_nhwc_x.npy": ([SAMPLES, N, H, W, C], xs_nhwc),
             "pool_nhwc_ref.npy": ([SAMPLES, N, OH, OW, C], ref_nhwc)}
    if "--check" in sys.argv:
        ok = True
        for name, (shape, values) in files.items():
            stored_shape, stored = read_npy(os.path.join(HERE, name))
            worst = max(abs(a - b) for a, b in zip(stored, values))
            print(name + ": max |stored - computed|", worst)
            ok = ok and worst <= 1e-5 and list(stored_shape) == shape
        sys.exit(0 if ok else 1)
    for name, (shape, values) in files.items():
        write_npy(os.path.join(HERE, name), shape, values)


if __name__ == "__main__":
    main()
