#!/usr/bin/env python3
"""amrkit's Python package against yt, in one process: load and projection.

Usage (after `pip install ./python` into target/py-venv, with yt in a
venv of its own):

    mkdir -p target/py-bench && ln -sfn ../py-venv/lib/python3.11/site-packages/amrkit target/py-bench/amrkit
    PYTHONPATH=target/py-bench target/yt-venv/bin/python benches/py_vs_yt.py [OUTPUT ...]

Default outputs: every `output_*` under ../shared/data/ramses/*/. For each,
`REPS` times (default 5), alternating, medians reported, files read once
before (warm page cache for both):

* load: yt `yt.load(out)` + `ds.all_data()` and its ("gas", "density") and
  ("gas", "pressure") arrays; amrkit `amrkit.open(out).load(["density",
  "pressure"])` (the positions, levels and cell sizes come with it);
* projection: yt `ds.proj(("gas", "density"), "z")` +
  `to_frb(width=domain_width[0], resolution=RES)` on a fresh dataset (the
  index is rebuilt, as a first projection does); amrkit
  `amrkit.open(out).project("density", res=RES)` (it reads the files).

RES defaults to 512. Both run on every core the machine has (yt serially,
amrkit on its pool).
"""

import glob
import os
import statistics
import sys
import time

import amrkit
import numpy as np
import yt

yt.set_log_level(50)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPS = int(os.environ.get("REPS", "5"))
RES = int(os.environ.get("RES", "512"))


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


def yt_load(out):
    ds = yt.load(out)
    ad = ds.all_data()
    return ad["gas", "density"].size + ad["gas", "pressure"].size


def ak_load(out):
    c = amrkit.open(out).load(["density", "pressure"])
    return c["density"].size + c["pressure"].size


def yt_proj(out):
    ds = yt.load(out)
    frb = ds.proj(("gas", "density"), "z").to_frb(width=ds.domain_width[0], resolution=RES)
    return np.asarray(frb["gas", "density"].in_cgs())


def ak_proj(out):
    s = amrkit.open(out)
    return s.project("density", res=RES) * s.units["code_to_cgs"]["surface_density"]


def main():
    outs = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "../shared/data/ramses/*/output_*")))
    print(f"yt {yt.__version__}, amrkit {amrkit.__version__} ({amrkit.num_threads()} threads), "
          f"{os.cpu_count()} CPUs, {REPS} alternating repetitions, medians, projections {RES}²")
    print("| output | yt load | amrkit load | yt / amrkit | yt proj | amrkit proj | yt / amrkit | map max rel. diff |")
    print("|---|---|---|---|---|---|---|---|")
    for out in outs:
        for f in glob.glob(os.path.join(out, "*")):
            with open(f, "rb") as fh:
                fh.read()
        t = {k: [] for k in ("yl", "al", "yp", "ap")}
        for _ in range(REPS):
            dt, ny = timed(lambda: yt_load(out))
            t["yl"].append(dt)
            dt, na = timed(lambda: ak_load(out))
            t["al"].append(dt)
            assert ny == na, (ny, na)
            dt, my = timed(lambda: yt_proj(out))
            t["yp"].append(dt)
            dt, ma = timed(lambda: ak_proj(out))
            t["ap"].append(dt)
        yl, al, yp, ap = (statistics.median(t[k]) for k in ("yl", "al", "yp", "ap"))
        diff = np.abs(ma - my).max() / np.abs(ma).max()
        name = os.path.relpath(out, os.path.join(ROOT, ".."))
        print(f"| {name} | {yl * 1e3:.0f} ms | {al * 1e3:.1f} ms | {yl / al:.0f}× "
              f"| {yp * 1e3:.0f} ms | {ap * 1e3:.1f} ms | {yp / ap:.0f}× | {diff:.1e} |")


if __name__ == "__main__":
    main()
