#!/usr/bin/env python3
"""Slices and off-axis projections: amrkit against yt 4.4, in one run.

Usage (after `cargo build --release`, with yt in a venv of its own):

    python3 -m venv target/yt-venv && target/yt-venv/bin/pip install 'yt==4.4.*'
    target/yt-venv/bin/python benches/views_vs_yt.py [OUTPUT ...]

Default outputs: every `output_*` under ../shared/data/ramses/*/. For
each, alternating, `REPS` times (default 5), medians reported, the files
read once before (warm page cache for both), `RES` pixels per side
(default 512), the whole box around its centre, line of sight
(1, 2, 3) (normalised; yt's "north" left to its default, amrkit's image y
the box's y projected on the image plane):

* slice: yt `yt.load(out)` + `yt.SlicePlot(ds, normal, ("gas",
  "density"), width=box)` with a `RES` buffer and its `frb` array; amrkit
  the whole `amrkit slice OUT --var density --normal 1,2,3 --res RES
  --out x.npy` process (reads only the files and cells the plane
  crosses);
* off-axis projection: yt `yt.load(out)` + `yt.off_axis_projection(ds,
  centre, normal, box, RES, ("gas", "density"))`; amrkit the whole
  `amrkit project OUT --var density --normal 1,2,3 --res RES --out x.npy`
  process (exact: each cell's volume over each pixel's prism).

Each amrkit run writes a new file (the previous run's map and sidecar
are removed first, untimed) and its map is read back with `np.load`
inside the timing (yt's array is in this process already).

yt runs serially in this process; amrkit on its pool (every core).
Besides wall-clock times, the CPU seconds of each (yt: this process's
`time.process_time()`; amrkit: the child's user + system time) are
reported: on a machine shared with other work the wall times of a
two-thread process suffer more than a one-thread one's, the CPU times
do not.
yt orients its image plane its own way (and its maps are in cgs), so the
maps are not compared here; amrkit's exactness is tested in
kernels/tests/kernels/views.rs.
"""

import glob
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import yt

yt.set_log_level(50)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AMRKIT = os.path.join(ROOT, "target/release/amrkit")
REPS = int(os.environ.get("REPS", "5"))
RES = int(os.environ.get("RES", "512"))
NORMAL = [1.0, 2.0, 3.0]


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(f):
    """Wall seconds, CPU seconds (this process and its children), result."""
    t, c = time.perf_counter(), time.process_time() + children_cpu()
    r = f()
    return time.perf_counter() - t, time.process_time() + children_cpu() - c, r


def yt_slice(out):
    ds = yt.load(out)
    p = yt.SlicePlot(ds, NORMAL, ("gas", "density"), width=ds.domain_width[0])
    p.set_buff_size(RES)
    return np.array(p.frb["gas", "density"])


def yt_offaxis(out):
    ds = yt.load(out)
    im = yt.off_axis_projection(
        ds, ds.domain_center, NORMAL, ds.domain_width[0], RES, ("gas", "density")
    )
    return np.array(im)


def amrkit(cmd, out, npy):
    subprocess.run(
        [AMRKIT, "-q", cmd, out, "--var", "density", "--normal", "1,2,3",
         "--res", str(RES), "--out", npy],
        check=True,
    )
    return np.load(npy)


def fresh(npy):
    """Removes the previous run's map and sidecar (untimed): each timed run
    writes a new file, as one run of the command does. Replacing the old
    2 MB file instead adds the filesystem's freeing of it (~2.5 ms of
    `rename` here), which is not part of making the map."""
    for f in (npy, npy + ".json"):
        if os.path.exists(f):
            os.remove(f)


def warm(out):
    for f in glob.glob(os.path.join(out, "*")):
        with open(f, "rb") as h:
            while h.read(1 << 20):
                pass


def main():
    outs = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "../shared/data/ramses/*/output_*")))
    print(f"yt {yt.__version__}, {RES}² pixels, normal {NORMAL}, {REPS} runs each, medians")
    tmp = tempfile.mkdtemp()
    for out in outs:
        warm(out)
        name = os.path.basename(os.path.dirname(out))
        for what, ytf, cmd in [("slice", yt_slice, "slice"), ("off-axis projection", yt_offaxis, "project")]:
            ty, ta, cy, ca = [], [], [], []
            a = y = None
            try:
                ytf(out)
            except Exception as e:  # e.g. yt's particle reader needs pandas
                print(f"{name:10s} {what:20s} yt failed ({type(e).__name__}: {e}); skipped")
                continue
            for _ in range(REPS):
                t, c, y = timed(lambda: ytf(out))
                ty.append(t)
                cy.append(c)
                npy = os.path.join(tmp, f"{cmd}.npy")
                fresh(npy)
                t, c, a = timed(lambda: amrkit(cmd, out, npy))
                ta.append(t)
                ca.append(c)
            my, ma = statistics.median(ty), statistics.median(ta)
            ny, na = statistics.median(cy), statistics.median(ca)
            print(
                f"{name:10s} {what:20s} wall: yt {my:8.3f} s  amrkit {ma:7.3f} s  ×{my / ma:6.1f}"
                f"   CPU: yt {ny:8.3f} s  amrkit {na:7.3f} s  ×{ny / na:6.1f}"
            )


if __name__ == "__main__":
    main()
