#!/usr/bin/env python3
"""Reference outputs of the model-family test models, computed in plain Python.

Evaluates cnn.mlir, rnn.mlir and attention.mlir (the weights are read from the
.mlir files, rounded to f32 as MLIR parses them) on every sample of their
inputs (cnn_x.npy, rnn_x.npy, attn_x.npy) in float64 with loops written out
here from the ops of each model: nothing of MLIR or prune-opt computes these
numbers. Writes <model>_ref.npy (float32, one row per sample) beside them;
test/Integration/model-families.test compares every output of every sample of
the compiled dense models with these (prune-run --reference --tolerance).

Needs only the Python standard library:

    python3 test/Integration/Inputs/make_family_refs.py        # (re)write
    python3 test/Integration/Inputs/make_family_refs.py --check # compare
"""

import ast
import math
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


# --- .npy (float32, C order) ------------------------------------------------

def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    major = data[6]
    if major == 1:
        hlen = struct.unpack("<H", data[8:10])[0]
        start = 10
    else:
        hlen = struct.unpack("<I", data[8:12])[0]
        start = 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    assert header["descr"] == "<f4" and not header["fortran_order"], path
    shape = tuple(header["shape"])
    count = 1
    for d in shape:
        count *= d
    flat = list(struct.unpack("<%df" % count,
                              data[start + hlen:start + hlen + 4 * count]))
    return shape, flat


def write_npy(path, shape, flat):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (
        "(%d,)" % shape[0] if len(shape) == 1 else str(tuple(shape)))
    # magic (6) + version (2) + length (2) + header + '\n', a multiple of 64
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%df" % len(flat), *flat))


def nest(flat, shape):
    """Row-major flat list -> nested lists of `shape`."""
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [nest(flat[i * step:(i + 1) * step], shape[1:])
            for i in range(shape[0])]


def flatten(x):
    if isinstance(x, list):
        out = []
        for v in x:
            out.extend(flatten(v))
        return out
    return [x]


# --- weights from the .mlir --------------------------------------------------

def constants(path):
    """Every `%name = arith.constant dense<[...]>` (nested lists, f32) and
    scalar `%name = arith.constant <float> : f32` of a model file."""
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*%(\w+) = arith.constant dense<(\[.*\])> : tensor<",
                         line)
            if m:
                out[m.group(1)] = map_nested(ast.literal_eval(m.group(2)), f32)
                continue
            m = re.match(r"\s*%(\w+) = arith.constant ([-0-9.e]+) : f32", line)
            if m:
                out[m.group(1)] = f32(float(m.group(2)))
    return out


def map_nested(x, fn):
    if isinstance(x, list):
        return [map_nested(v, fn) for v in x]
    return fn(float(x))


# --- the models ---------------------------------------------------------------

def pad2(x, p):
    """x[C][H][W] with p zeros around H and W."""
    out = []
    for ch in x:
        h, w = len(ch), len(ch[0])
        rows = [[0.0] * (w + 2 * p) for _ in range(p)]
        rows += [[0.0] * p + list(r) + [0.0] * p for r in ch]
        rows += [[0.0] * (w + 2 * p) for _ in range(p)]
        out.append(rows)
    return out


def conv2d(x, w, stride):
    """linalg.conv_2d_nchw_fchw, batch 1: x[C][H][W], w[F][C][KH][KW]."""
    c, h, wd = len(x), len(x[0]), len(x[0][0])
    kh, kw = len(w[0][0]), len(w[0][0][0])
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    y = []
    for fi in range(len(w)):
        plane = []
        for i in range(oh):
            row = []
            for j in range(ow):
                s = 0.0
                for ci in range(c):
                    for a in range(kh):
                        for b in range(kw):
                            s += x[ci][i * stride + a][j * stride + b] * \
                                w[fi][ci][a][b]
                row.append(s)
            plane.append(row)
        y.append(plane)
    return y


def depthwise(x, w):
    """linalg.depthwise_conv_2d_nchw_chw, stride 1: w[C][KH][KW]."""
    h, wd = len(x[0]), len(x[0][0])
    kh, kw = len(w[0]), len(w[0][0])
    return [[[sum(x[ci][i + a][j + b] * w[ci][a][b]
                  for a in range(kh) for b in range(kw))
              for j in range(wd - kw + 1)]
             for i in range(h - kh + 1)]
            for ci in range(len(x))]


def relu(v):
    return max(v, 0.0)


def cnn(k, x):
    # x: [1][3][8][8]
    r1 = conv2d(pad2(x[0], 1), k["w1"], 2)
    r1 = [[[relu(v) for v in row] for row in ch] for ch in r1]
    cd = depthwise(pad2(r1, 1), k["wd"])
    c2 = conv2d(cd, k["w2"], 1)
    y = [[[relu(c2[c][i][j] + r1[c][i][j]) for j in range(len(c2[0][0]))]
          for i in range(len(c2[0]))] for c in range(len(c2))]
    return [y]


def matmul(a, b):
    return [[sum(a[i][kk] * b[kk][j] for kk in range(len(b)))
             for j in range(len(b[0]))] for i in range(len(a))]


def transpose(a):
    return [list(r) for r in zip(*a)]


def rnn(k, xs):
    # xs: [5][1][6]; h_{t+1} = tanh(x_t Wx + h_t Wh + b)
    h = [[0.0] * len(k["b"])]
    for xt in xs:
        a = matmul(xt, k["wx"])
        g = matmul(h, k["wh"])
        h = [[math.tanh(a[0][j] + g[0][j] + k["b"][j])
              for j in range(len(k["b"]))]]
    return h


def attention(k, x):
    # x: [4][8]; torch-style W[out, in]: q = x Wq^T, ...
    q = matmul(x, transpose(k["wq"]))
    kk = matmul(x, transpose(k["wk"]))
    v = matmul(x, transpose(k["wv"]))
    s = matmul(q, transpose(kk))
    p = []
    for row in s:
        mx = max(row)
        ex = [math.exp((a - mx) * k["scale"]) for a in row]
        tot = sum(ex)
        p.append([e / tot for e in ex])
    return matmul(matmul(p, v), transpose(k["wo"]))


MODELS = [("cnn", "cnn_x", cnn), ("rnn", "rnn_x", rnn),
          ("attention", "attn_x", attention)]


def main():
    check = "--check" in sys.argv[1:]
    worst = 0.0
    for model, inputs, fn in MODELS:
        k = constants(os.path.join(HERE, model + ".mlir"))
        shape, flat = read_npy(os.path.join(HERE, inputs + ".npy"))
        samples = nest(flat, shape)
        outs = [flatten(fn(k, s)) for s in samples]
        out_shape = None
        y0 = fn(k, samples[0])
        dims = []
        while isinstance(y0, list):
            dims.append(len(y0))
            y0 = y0[0]
        out_shape = [len(samples)] + dims
        ref = [f32(v) for o in outs for v in o]
        path = os.path.join(HERE, model + "_ref.npy")
        if check:
            rshape, old = read_npy(path)
            diff = max(abs(a - b) for a, b in zip(ref, old))
            ok = list(rshape) == out_shape and len(old) == len(ref)
            print("%s: shape %s, max |diff| %.3g%s" %
                  (path, rshape, diff, "" if ok else " SHAPE MISMATCH"))
            worst = max(worst, diff if ok else math.inf)
        else:
            write_npy(path, out_shape, ref)
            print("wrote %s %s" % (path, out_shape))
    if check and worst > 1e-6:
        sys.exit(1)


if __name__ == "__main__":
    main()
