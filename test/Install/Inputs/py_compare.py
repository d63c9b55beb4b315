"""py_compare.py MODEL INPUTS.npy REFERENCE.txt PIPELINE

Compiles MODEL with the prune_opt Python package, runs it on every sample of
INPUTS.npy (float32, [N, ...]) and compares the outputs with REFERENCE.txt,
the `[A] sample I: v v v ...` lines of `prune-run --print` for the same
pipeline. Then checks that errors come back as PruneOptError. Standard
library only; with numpy importable, numpy inputs/outputs are checked too.
"""
import array
import ast
import struct
import sys

import prune_opt


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", "not a .npy file"
    hlen = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    assert header["descr"] == "<f4" and not header["fortran_order"]
    values = array.array("f")
    values.frombytes(data[10 + hlen:])
    return header["shape"], values


def main():
    model, inputs, reference, pipeline = sys.argv[1:5]
    shape, values = read_npy(inputs)
    ref = {}
    with open(reference) as f:
        for line in f:
            if line.startswith("[A] sample "):
                head, nums = line.split(":", 1)
                ref[int(head.split()[-1])] = [float(v) for v in nums.split()]

    m = prune_opt.compile(model, pipeline=pipeline)
    print("model:", m.entry, m.input_shapes, "->", m.output_shapes,
          m.input_types, m.output_types)
    per = 1
    for d in m.input_shapes[0]:
        per *= d
    n = len(values) // per
    worst = 0.0
    for s in range(n):
        x = values[s * per:(s + 1) * per]  # an array.array: a buffer
        y = m(x)
        # Nested lists without numpy, an ndarray with it.
        flat = [v for row in y for v in row] if not hasattr(y, "ravel") \
            else [float(v) for v in y.ravel()]
        want = ref[s]
        assert len(flat) == len(want), (len(flat), len(want))
        for a, b in zip(flat, want):
            worst = max(worst, abs(a - b) / max(1.0, abs(b)))
    print("samples compared:", n, "of", len(ref))
    print("agree with prune-run:", worst < 1e-5)

    # Nested-list input (shape 1x64 as [[...]]) gives the same result.
    x0 = [list(values[0:per])]
    y0 = m(x0)
    flat0 = [v for row in y0 for v in row] if not hasattr(y0, "ravel") \
        else [float(v) for v in y0.ravel()]
    print("nested list input agrees:",
          max(abs(a - b) for a, b in zip(flat0, ref[0])) < 1e-5)

    try:
        import numpy as np
        xs = np.frombuffer(values, dtype=np.float32).reshape(shape)
        y = m(xs[0])
        print("numpy output:", type(y).__name__, y.dtype, y.shape)
    except ImportError:
        print("numpy output: not installed")

    for what, call in [
            ("missing file", lambda: prune_opt.compile(model + ".missing")),
            ("bad pipeline", lambda: prune_opt.compile(model,
                                                       pipeline="nn-no-such-pass")),
            ("bad option", lambda: prune_opt.compile(
                model, pipeline="nn-prune{sparsity=2}")),
            ("wrong input size", lambda: m([1.0, 2.0])),
            ("wrong input count", lambda: m(x0, x0))]:
        try:
            call()
            print(what + ": no error")
        except prune_opt.PruneOptError as e:
            print(what + ": PruneOptError:", str(e).splitlines()[0])
    m.close()
    try:
        m(x0)
    except prune_opt.PruneOptError as e:
        print("closed:", e)


main()
