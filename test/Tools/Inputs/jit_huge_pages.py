# Checks test/Tools/jit-huge-pages.test's outputs against numpy.
import json
import struct
import sys

import numpy as np

d = sys.argv[1]
with open(f"{d}/layer.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    meta = json.loads(f.read(n))["w"]
    w = np.frombuffer(f.read(), dtype=np.float32).reshape(meta["shape"])
x = np.load(f"{d}/x.npy")
ref = x.astype(np.float64) @ w.astype(np.float64)
scale = np.abs(ref).max()

dense = np.load(f"{d}/dense.npy")
assert dense.shape == ref.shape, (dense.shape, ref.shape)
err = np.abs(dense - ref).max() / scale
assert err < 1e-5, err
print(f"dense: max relative error {err:.2e} (f32 layer)")

# 90 % magnitude over the whole weight (nn-prune's default uniform scope
# prunes each weight to the sparsity: the smallest 90 % by magnitude), then
# per output channel symmetric int8.
k = int(round(0.9 * w.size))
thr = np.sort(np.abs(w), axis=None)[k - 1]
wp = np.where(np.abs(w) > thr, w, 0).astype(np.float64)
scales = np.abs(wp).max(axis=0) / 127.0
q = np.round(wp / np.where(scales > 0, scales, 1)) * scales
ref_q = x.astype(np.float64) @ q
pruned = np.load(f"{d}/pruned.npy")
err = np.abs(pruned - ref_q).max() / np.abs(ref_q).max()
assert err < 1e-4, err
print(f"pruned: max relative error {err:.2e} (90 % magnitude, i8 values)")
