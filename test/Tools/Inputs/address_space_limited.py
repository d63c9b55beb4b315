#!/usr/bin/python3
"""address_space_limited.py WEIGHTS DIVISOR -- COMMAND...

Runs COMMAND with its address space (`ulimit -v`, RLIMIT_AS) limited to
the size of the file WEIGHTS divided by DIVISOR, and prints the limit, the
command's exit status, wall time and peak RSS. Issue 15: a model whose
weights are twice the memory the process may use prunes and compiles."""
import os
import resource
import subprocess
import sys
import time

weights, divisor = sys.argv[1], int(sys.argv[2])
cmd = sys.argv[4:]
size = os.path.getsize(weights)
limit = size // divisor


def restrict():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


start = time.monotonic()
status = subprocess.call(cmd, preexec_fn=restrict)
wall = time.monotonic() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"weights {size / 2**20:.0f} MiB, address space limit "
      f"{limit / 2**20:.0f} MiB (1/{divisor}): exit {status}, "
      f"{wall:.1f} s, peak RSS {peak:.0f} MiB")
sys.exit(status)
