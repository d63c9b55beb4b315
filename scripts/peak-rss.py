#!/usr/bin/python3
"""Runs a command and prints its wall time and peak resident set size on
stderr as `peak-rss: N MiB, S s`, and exits with the command's status. For
the scale table on machines without GNU time."""
import resource
import subprocess
import sys
import time

if len(sys.argv) < 2:
    sys.exit("usage: peak-rss.py COMMAND [ARGS...]")
start = time.monotonic()
status = subprocess.call(sys.argv[1:])
seconds = time.monotonic() - start
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak-rss: {kib / 1024:.0f} MiB, {seconds:.2f} s", file=sys.stderr)
sys.exit(status)
