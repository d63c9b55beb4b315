#!/usr/bin/python3
"""bounded_memory.py PRUNE_OPT EMPTY.mlir MODEL WEIGHT_BYTES LIMIT -- ARGS...

Runs `PRUNE_OPT EMPTY.mlir` (the tool's own footprint) and `PRUNE_OPT MODEL
ARGS...` under scripts/peak-rss.py and prints the second's peak RSS above
the first in units of the model's weight bytes; exits 1 when that exceeds
LIMIT (issue 15: prune + sparsify within 2x the weight bytes plus a
constant)."""
import pathlib
import re
import subprocess
import sys

PEAK_RSS = pathlib.Path(__file__).resolve().parents[3] / "scripts" / "peak-rss.py"


def peak_mib(cmd):
    out = subprocess.run([sys.executable, str(PEAK_RSS)] + cmd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         check=True, text=True)
    return int(re.search(r"peak-rss: (\d+) MiB", out.stderr).group(1))


opt, empty, model, weight_bytes, limit = sys.argv[1:6]
args = sys.argv[7:]
base = peak_mib([opt, empty, "-o", "/dev/null"])
peak = peak_mib([opt, model] + args)
ratio = (peak - base) * 1048576 / int(weight_bytes)
print(f"peak RSS above the tool's own: {ratio:.2f}x the weight bytes "
      f"(limit {limit}x)")
sys.exit(0 if ratio <= float(limit) else 1)
