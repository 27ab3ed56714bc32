#!/usr/bin/env python3
"""Two amrkit builds against each other on one off-axis projection, in one run.

Usage:

    python3 benches/ab_project.py BIN_A BIN_B [OUTPUT ...]

Alternates whole `BIN project OUT --var density --normal 1,2,3 --res 512`
processes of the two binaries, `ROUNDS` rounds (default 11), at `THREADS`
threads (default: the pool's choice; `1` gives the steadiest CPU times on a
shared machine), and prints for each output the minimum and the median of
the wall and CPU (user + system) seconds of each, and B/A. Both write to a
temporary folder; compare their maps with `cmp` separately when the change
should keep the bits. Default outputs: gravity and sedov3d of
../shared/data/ramses.
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUNDS = int(os.environ.get("ROUNDS", "11"))
THREADS = os.environ.get("THREADS")


def run(binary, out, dest):
    cmd = [binary, "project", out, "--var", "density", "--normal", "1,2,3"]
    cmd += ["--res", "512", "--out", dest]
    if THREADS:
        cmd += ["--threads", THREADS]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu


def summary(name, a, b):
    ma, mb = min(a), min(b)
    da, db = statistics.median(a), statistics.median(b)
    return (
        f"{name}: min {ma * 1e3:.1f} / {mb * 1e3:.1f} ms (B/A {mb / ma:.3f}), "
        f"median {da * 1e3:.1f} / {db * 1e3:.1f} ms (B/A {db / da:.3f})"
    )


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    a, b = sys.argv[1], sys.argv[2]
    outs = sys.argv[3:] or [
        os.path.join(ROOT, "..", "shared", "data", "ramses", r, "output_00002")
        for r in ("gravity", "sedov3d")
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for out in outs:
            ra, rb = [], []
            for _ in range(ROUNDS):
                ra.append(run(a, out, os.path.join(tmp, "a.npy")))
                rb.append(run(b, out, os.path.join(tmp, "b.npy")))
            label = os.path.basename(os.path.dirname(os.path.normpath(out)))
            print(summary(f"{label} wall", [x[0] for x in ra], [x[0] for x in rb]))
            print(summary(f"{label} CPU ", [x[1] for x in ra], [x[1] for x in rb]))


if __name__ == "__main__":
    main()
