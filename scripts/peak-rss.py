#!/usr/bin/python3
"""Runs a command and prints its peak resident set size (MiB) on stderr as
`peak-rss: N MiB`, and exits with the command's status. For tests and the
scale table on machines without GNU time."""
import resource
import subprocess
import sys

if len(sys.argv) < 2:
    sys.exit("usage: peak-rss.py COMMAND [ARGS...]")
status = subprocess.call(sys.argv[1:])
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak-rss: {kib / 1024:.0f} MiB", file=sys.stderr)
sys.exit(status)
