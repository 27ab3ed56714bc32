#!/usr/bin/env python3
"""amrkit's profiles and phase diagrams against yt 4.4, timed in one run, and
checked against yt's numbers for the same definition.

Usage (the release binary built, yt in a venv of its own):

    cargo build --release
    python3 -m venv target/yt-venv && target/yt-venv/bin/pip install yt
    target/yt-venv/bin/python benches/profile_vs_yt.py [--check] [OUTPUT ...]

Default outputs: gravity and sedov3d under ../shared/data/ramses (boxlen 1,
so code lengths are yt's code_length). Per output, REPS times (default 5),
alternating, medians of wall and of CPU time (user + system, amrkit's
process included) reported, every file read once before (warm page cache
for both); load included for both:

* profile: 64 log bins of radius, mass-weighted density and
  temperature_over_mu, sphere of radius 0.45 around the box centre (it
  reaches the periodic faces). yt: `yt.load` + `ds.sphere` +
  `yt.create_profile(sp, ("index", "radius"), …, n_bins=64,
  weight_field=("gas", "mass"), extrema={radius: (r0, R)}, logs={radius:
  True})` with amrkit's r0 (the smallest cell); amrkit: `amrkit profile OUT
  --var density,temperature_over_mu --center 0.5,0.5,0.5 --radius 0.45
  --json F` (a process of its own: its start-up is counted).
* phase: 128×128 bins of log density and log temperature_over_mu over
  the whole box, the mass per bin. yt: `yt.create_profile(ds.all_data(),
  [density, temperature_over_mu], [("gas", "mass")], n_bins=[128, 128],
  weight_field=None, extrema=…)` — the profile `yt.PhasePlot` draws, without
  the drawing; amrkit: `amrkit phase OUT --x density --y
  temperature_over_mu --out F.npy --json F.json`.

`--check` compares the numbers instead (no timing): per bin, yt's mean and
standard deviation against amrkit's JSON (1e-10 relative where yt's and
amrkit's bins hold the same cells), and the phase diagram's mass per bin
against amrkit's .npy (1e-10 of the largest bin), with amrkit's edges given
to yt as extrema.
"""

import glob
import json
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
BIN = os.environ.get("AMRKIT_BIN", os.path.join(ROOT, "target/release/amrkit"))
REPS = int(os.environ.get("REPS", "5"))
CENTER = [0.5, 0.5, 0.5]
RADIUS = 0.45
T = ("gas", "temperature_over_mu")
RHO = ("gas", "density")


def ak(*args):
    subprocess.run([BIN, "--quiet", *args], check=True, stdout=subprocess.DEVNULL)


def ak_profile(out, tmp):
    f = os.path.join(tmp, "p.json")
    ak("profile", out, "--var", "density,temperature_over_mu",
       "--center", ",".join(map(str, CENTER)), "--radius", str(RADIUS), "--json", f)
    with open(f) as fh:
        return json.load(fh)


def ak_phase(out, tmp):
    npy, js = os.path.join(tmp, "h.npy"), os.path.join(tmp, "h.json")
    ak("phase", out, "--x", "density", "--y", "temperature_over_mu", "--out", npy, "--json", js)
    with open(js) as fh:
        return np.load(npy), json.load(fh)


def yt_profile(out, r0):
    ds = yt.load(out)
    sp = ds.sphere(ds.arr(CENTER, "code_length"), ds.quan(RADIUS, "code_length"))
    r = ("index", "radius")
    p = yt.create_profile(
        sp, r, [RHO, T], n_bins=64, weight_field=("gas", "mass"),
        extrema={r: (ds.quan(r0, "code_length"), ds.quan(RADIUS, "code_length"))},
        logs={r: True}, units={r: "code_length"},
    )
    return p, ds


def yt_phase(out, xr, yr, widen=0.0):
    # yt's bins are right-open: `widen` (relative, in log space) lets its
    # last bin take the maximum, as amrkit's definition does (t = tb is in
    # bin N - 1), and its first the minimum.
    ds = yt.load(out)
    w = lambda r: (r[0] * (1 - widen), r[1] * (1 + widen))
    xr, yr = w(xr), w(yr)
    p = yt.create_profile(
        ds.all_data(), [RHO, T], [("gas", "mass")], n_bins=[128, 128], weight_field=None,
        extrema={RHO: (ds.quan(xr[0], "code_density"), ds.quan(xr[1], "code_density")),
                 T: (ds.quan(yr[0], "K"), ds.quan(yr[1], "K"))},
        logs={RHO: True, T: True}, units={RHO: "code_density", T: "K"},
    )
    return p, ds


def timed(f):
    """Wall seconds, and CPU seconds (user + system) of this process and
    the children it waited for: on a loaded machine the wall time of a
    short process is mostly waiting for a core, the CPU time is not."""
    def cpu():
        s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
    t, c = time.perf_counter(), cpu()
    f()
    return time.perf_counter() - t, cpu() - c


def check(out, tmp):
    a = ak_profile(out, tmp)
    p, ds = yt_profile(out, a["edges"][0])
    worst = 0.0
    for name, f, unit in (("density", RHO, "code_density"), ("temperature_over_mu", T, "K")):
        m = np.array([np.nan if v is None else v for v in a["bins"][name]["mean"]])
        s = np.array([np.nan if v is None else v for v in a["bins"][name]["std"]])
        ym = p[f].to(unit).d
        ys = p.standard_deviation[f].to(unit).d
        used = p.used & (np.array(a["bins"]["count"]) > 0)
        dm = np.abs(m[used] - ym[used]) / np.abs(ym[used])
        ds_ = np.abs(s[used] - ys[used]) / np.maximum(np.abs(ym[used]), 1e-300)
        worst = max(worst, dm.max(), ds_.max())
        print(f"  profile {name}: {used.sum()} bins, mean rel diff max {dm.max():.2e}, "
              f"std diff / mean max {ds_.max():.2e}")
    h, j = ak_phase(out, tmp)
    q, _ = yt_phase(out, j["x"]["range"], j["y"]["range"], widen=1e-12)
    yh = q[("gas", "mass")].to("code_mass").d.T  # yt: [x, y]; amrkit: H[y, x]
    d = np.abs(h - yh).max() / h.max()
    worst = max(worst, d)
    print(f"  phase mass per bin: max diff / max bin {d:.2e} (total {h.sum():.6e} vs {yh.sum():.6e})")
    return worst


def bench(out, tmp):
    a = ak_profile(out, tmp)
    r0 = a["edges"][0]
    h, j = ak_phase(out, tmp)
    xr, yr = j["x"]["range"], j["y"]["range"]
    times = {k: [] for k in ("yt profile", "amrkit profile", "yt phase", "amrkit phase")}
    for _ in range(REPS):
        times["yt profile"].append(timed(lambda: yt_profile(out, r0)[0][RHO].d.sum()))
        times["amrkit profile"].append(timed(lambda: ak_profile(out, tmp)))
        times["yt phase"].append(timed(lambda: yt_phase(out, xr, yr)[0][("gas", "mass")].d.sum()))
        times["amrkit phase"].append(timed(lambda: ak_phase(out, tmp)))
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    for what in ("profile", "phase"):
        y, a_ = med[f"yt {what}"], med[f"amrkit {what}"]
        yc, ac = cpu[f"yt {what}"], cpu[f"amrkit {what}"]
        print(f"  {what}: wall yt {y * 1e3:8.1f} ms  amrkit {a_ * 1e3:7.1f} ms  ratio {y / a_:6.1f}x;"
              f"  cpu yt {yc * 1e3:8.1f} ms  amrkit {ac * 1e3:7.1f} ms  ratio {yc / ac:6.1f}x")


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    outs = args or sorted(
        glob.glob(os.path.join(ROOT, "../shared/data/ramses/gravity/output_*"))
        + glob.glob(os.path.join(ROOT, "../shared/data/ramses/sedov3d/output_*"))
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for out in outs:
            print(out)
            for f in glob.glob(os.path.join(out, "*")):
                with open(f, "rb") as fh:
                    fh.read()
            if "--check" in sys.argv:
                worst = max(worst, check(out, tmp))
            else:
                bench(out, tmp)
    if "--check" in sys.argv:
        print(f"largest difference {worst:.2e}")
        sys.exit(0 if worst < 1e-10 else 1)


if __name__ == "__main__":
    main()
