"""compare_outputs.py A B [TOLERANCE]

Compares the numbers two programs printed for the same samples: each line
holding only numbers after an optional label ("[A] sample 3:" of
`prune-run --print`, "y =" of capi-run, nothing for examples/call_mlp.c) is
one sample; other lines are ignored. Prints "match: N samples" or the first
difference (exit status 1)."""
import re
import sys


def samples(path):
    out = []
    for line in open(path):
        body = re.sub(r"^(\[\w+\] sample \d+:|y =)", "", line.strip())
        try:
            values = [float(v) for v in body.split()]
        except ValueError:
            continue
        if values:
            out.append(values)
    return out


a, b = samples(sys.argv[1]), samples(sys.argv[2])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
if len(a) != len(b):
    print("sample counts differ: %d vs %d" % (len(a), len(b)))
    sys.exit(1)
for s, (x, y) in enumerate(zip(a, b)):
    if len(x) != len(y):
        print("sample %d: %d vs %d values" % (s, len(x), len(y)))
        sys.exit(1)
    for i, (u, v) in enumerate(zip(x, y)):
        if abs(u - v) > tol * max(1.0, abs(v)):
            print("sample %d value %d: %g vs %g" % (s, i, u, v))
            sys.exit(1)
print("match: %d samples" % len(a))
