"""Writes hostile input files for prune-run's bad-input test into argv[1].

Standard library only. Each file is small; what it claims is not.
"""
import gzip
import os
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def npy(name, shape_text, payload=b"", descr="<f4"):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, shape_text)
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)))
        f.write(hdr.encode() + payload)


def idx(name, magic, dims, payload=b"", compress=False):
    data = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
    data += payload
    if compress:
        data = gzip.compress(data)
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


# 1e11 elements claimed, 16 bytes present (once: LLVM ERROR: out of memory).
npy("huge.npy", "1, 100000, 1000000", struct.pack("<4f", 1, 2, 3, 4))
# A product past int64 (once: overflow, then a null memcpy: segfault).
npy("overflow.npy", "4294967296, 4294967296, 4294967296", b"\0" * 16)
# Negative and non-numeric dimensions, a truncated header.
npy("negative.npy", "1, -4", b"\0" * 16)
npy("garbage.npy", "1, four", b"\0" * 16)
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00\xff\x00{'descr'")
# Labels: 2 samples, one label outside a 2-class model's outputs.
idx("labels.idx1", 0x801, [2], bytes([1, 7]))
# Images: 4e9 images of 65535x65535 claimed, 10 bytes present.
idx("huge.idx3", 0x803, [4000000000, 65535, 65535], b"\0" * 10, compress=True)
# A wrong-shaped reference: 2 rows of 3 values for a 2-output model.
npy("ref23.npy", "2, 3", struct.pack("<6f", *range(6)))
# A valid idx3 file: 2 images of 2x2.
idx("small.idx3", 0x803, [2, 2, 2], bytes(range(8)))
