#!/usr/bin/python3
"""bounded_memory.py PRUNE_OPT EMPTY.mlir MODEL WEIGHT_BYTES LIMIT -- ARGS...

Runs `PRUNE_OPT EMPTY.mlir` (the tool's own footprint) and `PRUNE_OPT MODEL
ARGS...`, each in a fresh process, and prints the second's peak RSS above
the first in units of the model's weight bytes; exits 1 when that exceeds
LIMIT (issue 15: prune + sparsify within 2x the weight bytes plus a
constant)."""
import subprocess
import sys


def peak_kib(cmd):
    # A fresh interpreter per measurement: RUSAGE_CHILDREN is the maximum
    # over all children so far.
    code = ("import resource, subprocess, sys; "
            "s = subprocess.call(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.exit(s)")
    out = subprocess.run([sys.executable, "-c", code] + cmd,
                         stdout=subprocess.PIPE, check=True, text=True)
    return int(out.stdout.split()[-1])


opt, empty, model, weight_bytes, limit = sys.argv[1:6]
args = sys.argv[7:]
base = peak_kib([opt, empty, "-o", "/dev/null"])
peak = peak_kib([opt, model] + args)
ratio = (peak - base) * 1024 / int(weight_bytes)
print(f"peak RSS above the tool's own: {ratio:.2f}x the weight bytes "
      f"(limit {limit}x)")
sys.exit(0 if ratio <= float(limit) else 1)
