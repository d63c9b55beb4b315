#!/usr/bin/env python3
"""Independent reference for the weight updates of nn-prune criterion=sparsegpt
and criterion=obs on Integration/Inputs/two-layer.mlir calibrated with
Integration/Inputs/x2.npy (test/Transforms/nn-calibrate.mlir).

Usage: obs_reference.py sparsegpt|obs PRUNED.mlir [SPARSITY]

Recomputes, in plain Python (float64, no MLIR), what each criterion must give:
the Hessian H = X^T X of each weight's inputs over the calibration samples
(layer 2's inputs: the dense model's layer-1 activations), a dead input
(H_qq = 0) set to H_qq = 1 with its weights removed first (as SparseGPT does),
damping 0.01 * mean(diag H), then

  sparsegpt: one mask-selection block (4 and 3 columns < obs-block 16): the
             round(s * size) entries with the lowest w^2 / U_qq^2 (U: upper
             Cholesky factor of H^-1), then SparseGPT's column sweep
             (w_j -= (w_q - q) / U_qq * U_qj for j > q);
  obs:       exact greedy OBS per output row, the rows sharing the layer's
             removals: repeatedly remove, over all rows, the kept weight with
             the least loss w_q^2 / [H_r^-1]_qq and update that row
             w -= w_q / [H_r^-1]_qq * H_r^-1[:, q] (H_r^-1 downdated).

and compares them with the w0_pruned / w1_pruned blobs of PRUNED.mlir: the
same zeros, and every value within 1e-5. Exit 1 on a difference.
"""

import ast
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "..", "Integration", "Inputs")


def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def read_npy(path):
    data = open(path, "rb").read()
    hlen = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    assert header["descr"] == "<f4" and not header["fortran_order"]
    shape = header["shape"]
    n = 1
    for d in shape:
        n *= d
    return shape, list(struct.unpack("<%df" % n, data[10 + hlen:10 + hlen + 4 * n]))


def f32s(x):
    return [f32s(v) for v in x] if isinstance(x, list) else f32(float(x))


def constants(path):
    out = {}
    for line in open(path):
        m = re.match(r"\s*%(\w+) = arith.constant dense<(\[.*\])> : tensor<", line)
        if m:
            out[m.group(1)] = f32s(ast.literal_eval(m.group(2)))
    return out


def blob(text, key):
    m = re.search(r"\b%s: \"0x([0-9A-F]+)\"" % key, text)
    if not m:
        sys.exit("no blob %s in the pruned module" % key)
    raw = bytes.fromhex(m.group(1))[4:]  # 4-byte alignment prefix
    return list(struct.unpack("<%df" % (len(raw) // 4), raw))


def inverse(a):
    n = len(a)
    m = [list(r) + [1.0 if i == j else 0.0 for j in range(n)]
         for i, r in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        pv = m[c][c]
        m[c] = [v / pv for v in m[c]]
        for r in range(n):
            if r != c:
                f = m[r][c]
                m[r] = [a - f * b for a, b in zip(m[r], m[c])]
    return [r[n:] for r in m]


def cholesky_upper(a):
    """U with a = U^T U."""
    n = len(a)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = a[i][j] - sum(low[i][k] * low[j][k] for k in range(j))
            low[i][j] = s ** 0.5 if i == j else s / low[j][j]
    return [[low[j][i] for j in range(n)] for i in range(n)]


def hessian(xs):
    """Damped X^T X; dead inputs get H_qq = 1. Returns (H, dead)."""
    n = len(xs[0])
    h = [[sum(x[i] * x[j] for x in xs) for j in range(n)] for i in range(n)]
    dead = [i for i in range(n) if h[i][i] == 0]
    for i in dead:
        h[i][i] = 1.0
    damp = 0.01 * sum(h[i][i] for i in range(n)) / n
    for i in range(n):
        h[i][i] += damp
    return h, dead


def sparsegpt(w, h, dead, sparsity):
    w = [list(r) for r in w]
    rows, cols = len(w), len(w[0])
    for r in range(rows):
        for q in dead:
            w[r][q] = 0.0
    u = cholesky_upper(inverse(h))
    k = round(sparsity * rows * cols)
    scores = sorted((w[r][c] ** 2 / u[c][c] ** 2, r, c)
                    for r in range(rows) for c in range(cols))
    pruned = {(r, c) for _, r, c in scores[:k]}
    for c in range(cols):
        for r in range(rows):
            q = 0.0 if (r, c) in pruned else w[r][c]
            err = (w[r][c] - q) / u[c][c]
            w[r][c] = q
            for j in range(c + 1, cols):
                w[r][j] -= err * u[c][j]
    return w


def obs(w, h, dead, sparsity):
    w = [list(r) for r in w]
    rows, cols = len(w), len(w[0])
    hinv = [inverse(h) for _ in range(rows)]
    kept = [set(range(cols)) for _ in range(rows)]

    def remove(r, q):
        hi = hinv[r]
        d = hi[q][q]
        wq = w[r][q]
        for j in range(cols):
            w[r][j] -= wq / d * hi[j][q]
        w[r][q] = 0.0
        hinv[r] = [[hi[a][b] - hi[a][q] * hi[q][b] / d for b in range(cols)]
                   for a in range(cols)]
        kept[r].discard(q)

    removed = 0
    for q in dead:
        for r in range(rows):
            remove(r, q)
            removed += 1
    for _ in range(round(sparsity * rows * cols) - removed):
        _, r, q = min((w[r][q] ** 2 / hinv[r][q][q], r, q)
                      for r in range(rows) for q in kept[r])
        remove(r, q)
    for r in range(rows):
        for q in range(cols):
            if q not in kept[r]:
                w[r][q] = 0.0
    return w


def main():
    criterion, pruned_path = sys.argv[1], sys.argv[2]
    sparsity = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    k = constants(os.path.join(INPUTS, "two-layer.mlir"))
    shape, flat = read_npy(os.path.join(INPUTS, "x2.npy"))
    n_in = shape[-1]
    xs = [flat[i:i + n_in] for i in range(0, len(flat), n_in)]
    w1, b1, w2 = k["w1"], k["b1"], k["w2"]
    # Layer 1: torch-style W1[out, in]; layer 2: keras-style W2[in, out].
    acts = [[f32(max(0.0, f32(sum(w1[o][i] * x[i] for i in range(n_in)) + b1[o])))
             for o in range(len(w1))] for x in xs]
    fn = {"sparsegpt": sparsegpt, "obs": obs}[criterion]
    h1, dead1 = hessian(xs)
    h2, dead2 = hessian(acts)
    ref0 = fn(w1, h1, dead1, sparsity)                    # [out, in]
    w2t = [list(c) for c in zip(*w2)]                     # [out, in]
    ref1 = [list(c) for c in zip(*fn(w2t, h2, dead2, sparsity))]  # [in, out]

    text = open(pruned_path).read()
    bad = False
    for key, ref in (("w0_pruned", ref0), ("w1_pruned", ref1)):
        got = blob(text, key)
        want = [v for row in ref for v in row]
        print("%s: want %s" % (key, " ".join("%.6g" % v for v in want)))
        print("%s: got  %s" % (key, " ".join("%.6g" % v for v in got)))
        if len(got) != len(want):
            bad = True
            continue
        for g, r in zip(got, want):
            if (g == 0) != (abs(r) < 1e-12) or abs(g - r) > 1e-5:
                bad = True
    print("MISMATCH" if bad else "OK")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
