#!/usr/bin/env python3
"""Warm-cache load of every hydro variable: yt against amrkit, in one run.

Usage (after `cargo build --release`, with yt installed in a venv):

    python3 -m venv target/yt-venv && target/yt-venv/bin/pip install 'yt==4.4.*' pandas
    target/yt-venv/bin/python benches/vs_yt.py [OUTPUT ...]

Default outputs: every `output_*` under ../shared/data/ramses/*/. For each,
alternating, `REPS` times (default 7), medians reported:

* yt: `yt.load(out)` and reading every ("ramses", ...) field of
  `ds.all_data()`, in this process (a fresh dataset object each time, so
  the index is rebuilt, as a user's first load does);
* amrkit: the whole `amrkit stats -q` process (reads every hydro and
  gravity variable of every leaf cell and computes the table), and the
  in-process read of every hydro variable (`examples/readall`, one thread).

The files are read once before timing (warm page cache for both).
"""

import glob
import os
import statistics
import subprocess
import sys
import time

import yt

yt.set_log_level(50)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AMRKIT = os.path.join(ROOT, "target/release/amrkit")
READALL = os.path.join(ROOT, "target/release/examples/readall")
REPS = int(os.environ.get("REPS", "7"))


def yt_load_all(out):
    t = time.perf_counter()
    ds = yt.load(out)
    ad = ds.all_data()
    n = 0
    for f in ds.field_list:
        if f[0] == "ramses":
            n += ad[f].size
    return time.perf_counter() - t, n


def amrkit_stats(out):
    t = time.perf_counter()
    subprocess.run([AMRKIT, "stats", "-q", out], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def amrkit_readall(out):
    # readall prints "<cells> cells per read, <duration> per read".
    r = subprocess.run([READALL, out, "5"], check=True, capture_output=True, text=True)
    d = r.stdout.split(",")[1].split()[0]
    for unit, scale in (("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9), ("s", 1.0)):
        if d.endswith(unit):
            return float(d[: -len(unit)]) * scale
    raise ValueError(r.stdout)


def main():
    outs = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "../shared/data/ramses/*/output_*")))
    print(f"yt {yt.__version__}, {REPS} alternating repetitions, medians")
    print("| output | yt load + every field | amrkit stats (process) | yt / stats | amrkit read, in-process, 1 thread | yt / read |")
    print("|---|---|---|---|---|---|")
    for out in outs:
        for f in glob.glob(os.path.join(out, "*")):
            with open(f, "rb") as fh:
                fh.read()
        ty, ts, tr = [], [], []
        for _ in range(REPS):
            ty.append(yt_load_all(out)[0])
            ts.append(amrkit_stats(out))
            tr.append(amrkit_readall(out))
        y, s, r = (statistics.median(v) for v in (ty, ts, tr))
        name = os.path.relpath(out, os.path.join(ROOT, ".."))
        print(f"| {name} | {y * 1e3:.0f} ms | {s * 1e3:.1f} ms | {y / s:.1f}× | {r * 1e3:.2f} ms | {y / r:.0f}× |")


if __name__ == "__main__":
    main()
