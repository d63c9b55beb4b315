#!/usr/bin/env python3
"""Seed corpus for prune-fuzz, built from the test suite.

Every .mlir file under test/ (inputs included; not test/Upstream) and in
tools/prune-fuzz/seeds is split on `// -----`;
each chunk is paired with the pass pipelines its own RUN lines use (or, for
inputs, the RUN lines of the tests that name them) plus a few generic ones.
A seed is `<pipeline>\\n<mlir>`. nn-calibrate (JIT) and `json=` options are
left out, as the harness refuses them.

usage: make-corpus.py TEST_DIR OUT_DIR [MAX_BYTES]
"""
import hashlib
import os
import re
import shlex
import sys

GENERIC = [
    "nn-prune",
    "nn-prune{sparsity=0.9},nn-sparsify",
    "nn-prune{pattern=nm n=2 m=4},nn-sparsify{format=nm},nn-report{table=false}",
    "nn-prune{pattern=block block=4x1},nn-sparsify{format=bsr},nn-lower-kernels",
    "nn-prune{pattern=channel},nn-shrink-channels",
    "nn-fold-weight-transposes,nn-prune,nn-sparsify{format=auto},nn-dense-loop-order",
    "nn-split-empty-tensors,nn-export-c-interface",
    "nn-prune{sparsity=0.5},nn-sparsify{format=csr},nn-lower-cpu",
]
# Also paired with the extra seeds in tools/prune-fuzz/seeds (one has
# nn.calib statistics, which the data-aware criteria need).
DATA_AWARE = [
    "nn-prune{criterion=sparsegpt}",
    "nn-prune{criterion=obs refit=lsq sparsity=0.5},nn-sparsify",
    "nn-prune{criterion=wanda pattern=nm},nn-sparsify{format=nm},nn-lower-kernels",
    "nn-prune{criterion=obd scope=adaptive sparsity=0.7}",
    "nn-prune{criterion=activation pattern=channel},nn-shrink-channels",
    "nn-prune{criterion=entropy pattern=channel sparsity=0.3}",
]
SKIP = ("nn-calibrate", "json", "test-nn-")


def run_commands(text):
    """The RUN lines of a test, continuations joined."""
    cmds, cur = [], ""
    for line in text.splitlines():
        m = re.search(r"RUN:(.*)$", line)
        if not m:
            continue
        part = m.group(1).strip()
        if part.endswith("\\"):
            cur += part[:-1] + " "
            continue
        cmds.append(cur + part)
        cur = ""
    return cmds


def pipelines_of(cmd):
    out = []
    for seg in cmd.split("|"):
        try:
            toks = shlex.split(seg)
        except ValueError:
            continue
        passes = []
        for t in toks:
            m = re.match(r"--?(pass-pipeline|pipeline|compare-pipeline)=(.*)$", t)
            if m:
                p = m.group(2)
                p = re.sub(r"^builtin\.module\((.*)\)$", r"\1", p)
                out.append(p)
                continue
            m = re.match(r"--?(nn-[a-z-]+)(?:=(.*))?$", t)
            if m:
                name, opts = m.group(1), m.group(2)
                passes.append(name + ("{%s}" % opts if opts else ""))
        if passes:
            out.append(",".join(passes))
    return [p for p in out if not any(s in p for s in SKIP)]


def main():
    test_dir, out_dir = sys.argv[1], sys.argv[2]
    max_bytes = int(sys.argv[3]) if len(sys.argv) > 3 else 16384
    os.makedirs(out_dir, exist_ok=True)
    files = {}
    for root, dirs, names in os.walk(test_dir):
        # test/Upstream pins upstream MLIR crashes: not ours to find again.
        dirs[:] = [d for d in dirs if d != "Upstream"]
        for n in names:
            if n.endswith((".mlir", ".test")):
                path = os.path.join(root, n)
                with open(path, errors="replace") as f:
                    files[path] = f.read()
    # Pipelines per file, and per input file named by a test.
    pipes = {p: set() for p in files}
    extra = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    for n in sorted(os.listdir(extra)) if os.path.isdir(extra) else []:
        if n.endswith(".mlir"):
            path = os.path.join(extra, n)
            with open(path, errors="replace") as f:
                files[path] = f.read()
            pipes[path] = set(DATA_AWARE)
    for path, text in files.items():
        for cmd in run_commands(text):
            ps = pipelines_of(cmd)
            pipes[path].update(ps)
            for inp in re.findall(r"%S/(Inputs/[\w.-]+\.mlir)", cmd):
                ip = os.path.join(os.path.dirname(path), inp)
                if ip in pipes:
                    pipes[ip].update(ps)
    count = 0
    for path, text in sorted(files.items()):
        if not path.endswith(".mlir"):
            continue
        chunks = re.split(r"^// -----.*$", text, flags=re.M)
        for chunk in chunks:
            chunk = "\n".join(l for l in chunk.splitlines()
                              if not re.match(r"\s*// (RUN|CHECK|[A-Z-]+:)", l))
            if not chunk.strip():
                continue
            for p in sorted(pipes[path]) + GENERIC:
                seed = (p + "\n" + chunk.strip() + "\n").encode()
                if len(seed) > max_bytes:
                    continue
                name = hashlib.sha1(seed).hexdigest()
                with open(os.path.join(out_dir, name), "wb") as f:
                    f.write(seed)
                count += 1
    print("wrote %d seeds to %s" % (count, out_dir))


if __name__ == "__main__":
    main()
