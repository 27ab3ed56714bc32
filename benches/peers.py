#!/usr/bin/env python3
"""amrkit against yt, pynbody and osyris, with the page-cache floor, in one run.

Venv recipe (everything under target/, nothing global):

    python3 -m venv target/peers-venv
    target/peers-venv/bin/python -m pip install yt pynbody osyris pandas   # pandas: yt reads particle CSVs with it
    CARGO_TARGET_DIR=$PWD/target/python \\
        target/peers-venv/bin/python -m pip install --no-deps --force-reinstall ./python
    cargo build --release                       # target/release/amrkit
    cargo build --release -p amrkit-io --example synth
    # the "at scale" shape of issue 30: 32 CPU files, levels 7-10, 11.6 M
    # leaf cells, gravity, 1 M DM + 5,000 star particles, 1.6 GB
    target/release/examples/synth target/scale/a 32 7 10 --refine 5 --ndm 1000000

Run (warm page cache; REPS alternating rounds, medians):

    REPS=3 THREADS=2 target/peers-venv/bin/python benches/peers.py \\
        target/scale/a/output_00001 ../shared/data/ramses/*/output_*

Per output and task, every tool runs as a whole process (interpreter or
binary start, imports, index, read, compute, exit): wall time and its peak
RSS (`os.wait4`'s `ru_maxrss` of that child alone). The Python children
also report the in-process time of the task (after `import`), shown as
"in-process". Tasks:

* `load`: read every hydro and gravity variable into arrays.
  amrkit: `amrkit.open(out).load(all)`; yt: `yt.load` + every
  `("ramses", ·)` and `("gravity", ·)` field of `all_data()`; pynbody:
  `pynbody.load` + every loadable gas array; osyris: `Dataset(...).load()`
  (it reads everything, particles too).
* `stats`: `amrkit stats --json` (hydro, gravity, particles); the peers'
  figure is their `load` process (they have no stats command).
* `project`: a 512² density projection along z over the whole box (sum
  along the line of sight). amrkit `project --var density --res 512`; yt
  `ds.proj` + `to_frb`; pynbody `sph.image` (its SPH rendering of the
  cells); osyris: not run (its `map` failed here, see `command`).
* `slice`, `profile`, `phase`: amrkit's commands against yt's
  `ds.slice(...).to_frb`, `create_profile(sphere, radius, density)` and
  `create_profile(all_data, [density, pressure], mass)`.

The floor: the bytes a task needs, read from the page cache by THREADS
threads taking whole files from a shared list, 1 MiB `readinto` calls into
one reused buffer per thread (no fresh memory, no parsing). `load`/`stats`
need every amr, hydro, grav (and for stats part) file; a density map the
amr files and 1/nvar of every hydro file (the bytes of one variable),
`phase` (density, pressure) 2/nvar.

Env: REPS (3), THREADS (2), TOOLS (amrkit,yt,pynbody,osyris), TASKS
(load,stats,project,slice,profile,phase), TIMEOUT per child (600 s),
AMRKIT (target/release/amrkit).
"""

import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPS = int(os.environ.get("REPS", "3"))
THREADS = int(os.environ.get("THREADS", "2"))
TOOLS = os.environ.get("TOOLS", "amrkit,yt,pynbody,osyris").split(",")
TASKS = os.environ.get("TASKS", "load,stats,project,slice,profile,phase").split(",")
TIMEOUT = float(os.environ.get("TIMEOUT", "600"))
AMRKIT = os.environ.get("AMRKIT", os.path.join(ROOT, "target/release/amrkit"))
RES = 512


# ---------------------------------------------------------------- children


def hydro_names(out):
    """The hydro variables of the output's descriptor (RAMSES names)."""
    names = []
    path = os.path.join(out, "hydro_file_descriptor.txt")
    with open(path) as f:
        for line in f:
            if line.startswith("#") or "," not in line:
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) >= 2 and parts[0].isdigit():
                names.append(parts[1])
    if not names:  # old format: "variable #1: density"
        with open(path) as f:
            for line in f:
                if line.startswith("variable #"):
                    names.append(line.split(":")[1].strip())
    return names


def child(tool, task, out, tmp):
    """Runs one task in this process; returns the in-process seconds."""
    t0 = time.perf_counter()
    if tool == "amrkit":
        import amrkit

        t0 = time.perf_counter()
        s = amrkit.open(out)
        info = s.info() if callable(s.info) else s.info
        names = list(info["hydro_variables"]) + list(info.get("gravity_variables") or [])
        c = s.load(names)
        assert all(c[n].size for n in names)
    elif tool == "yt":
        import yt

        yt.set_log_level(50)
        t0 = time.perf_counter()
        ds = yt.load(out)
        if task == "load":
            ad = ds.all_data()
            fields = [f for f in ds.field_list if f[0] in ("ramses", "gravity")]
            assert all(ad[f].size for f in fields)
        elif task == "project":
            w = ds.domain_width[0]
            p = ds.proj(("gas", "density"), "z")
            frb = p.to_frb(w, RES)
            assert frb["gas", "density"].size == RES * RES
        elif task == "slice":
            s = ds.slice("z", ds.domain_center[2])
            frb = s.to_frb(ds.domain_width[0], RES)
            assert frb["gas", "density"].size == RES * RES
        elif task == "profile":
            sp = ds.sphere(ds.domain_center, ds.domain_width[0] / 2)
            pr = yt.create_profile(
                sp, ("index", "radius"), [("gas", "density")], n_bins=64,
                logs={("index", "radius"): False},
            )
            assert pr["gas", "density"].size == 64
        elif task == "phase":
            ad = ds.all_data()
            pr = yt.create_profile(
                ad, [("gas", "density"), ("gas", "pressure")], ("gas", "mass"),
                n_bins=[128, 128], weight_field=None,
            )
            assert pr["gas", "mass"].size == 128 * 128
    elif tool == "pynbody":
        import pynbody

        t0 = time.perf_counter()
        f = pynbody.load(out)
        if task == "load":
            for k in f.g.loadable_keys():
                f.g[k]
        elif task == "project":
            import pynbody.plot.sph as sph

            w = float(f.properties["boxsize"].in_units(f.g["pos"].units))
            f.g["pos"] -= w / 2  # image centred on the origin
            im = sph.image(f.g, qty="rho", width=w, resolution=RES, noplot=True,
                           units=None, av_z=False)
            assert im.size == RES * RES
    elif tool == "osyris":
        import osyris

        t0 = time.perf_counter()
        nout = int(os.path.basename(out.rstrip("/")).split("_")[-1])
        d = osyris.RamsesDataset(nout, path=os.path.dirname(out.rstrip("/"))).load()
        if task == "project":
            box = d.meta["boxlen"] * d.meta["unit_l"] * osyris.units("cm")
            m = osyris.map(
                osyris.core.Layer(d["mesh"]["density"]), dx=box, dz=box,
                origin=0.5 * box * osyris.Vector(1, 1, 1),
                direction="z", resolution=RES, operation="sum", plot=False,
            )
            assert m is not None
    return time.perf_counter() - t0


# ---------------------------------------------------------------- parent


def amrkit_cmd(task, out, tmp):
    base = [AMRKIT, "--threads", str(THREADS), "-q", "--progress", "never", "--no-tune-cache"]
    return {
        "stats": base + ["stats", "--json", out],
        "project": base + ["project", out, "--var", "density", "--res", str(RES),
                           "--out", os.path.join(tmp, "p.npy")],
        "slice": base + ["slice", out, "--var", "density", "--res", str(RES),
                         "--out", os.path.join(tmp, "s.npy")],
        "profile": base + ["profile", out, "--var", "density", "--bins", "64",
                           "--json", os.path.join(tmp, "pr.json")],
        "phase": base + ["phase", out, "--x", "density", "--y", "pressure",
                         "--bins", "128", "--out", os.path.join(tmp, "ph.npy")],
    }.get(task)


def command(tool, task, out, tmp):
    """The child command of (tool, task), or None when the tool has none."""
    if tool == "amrkit" and task != "load":
        return amrkit_cmd(task, out, tmp)
    peer_task = "load" if task == "stats" else task
    if tool == "pynbody" and peer_task not in ("load", "project"):
        return None
    # osyris 3.2's `map` failed on these outputs (KeyError 'position' from
    # a Layer of the mesh density): its load only.
    if tool == "osyris" and peer_task != "load":
        return None
    return [sys.executable, os.path.abspath(__file__), "--child", tool, peer_task, out, tmp]


def run(cmd):
    """(wall seconds, peak RSS MB, in-process seconds or None, CPU seconds
    user + system), or None on failure/timeout."""
    env = dict(os.environ, AMRKIT_NUM_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS))
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    timer = threading.Timer(TIMEOUT, p.kill)
    timer.start()
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.stderr.write(f"FAILED ({p.returncode}): {' '.join(cmd)}\n{err.decode()[-2000:]}\n")
        return None
    inproc = None
    for line in out.decode().splitlines():
        if line.startswith("INPROC "):
            inproc = float(line.split()[1])
    return wall, ru.ru_maxrss / 1024, inproc, ru.ru_utime + ru.ru_stime


def needed_files(out, task):
    """[(path, bytes)] the task needs (see the module doc)."""
    def files(kind):
        return sorted(glob.glob(os.path.join(out, f"{kind}_*.out*")))

    nvar = max(len(hydro_names(out)), 1)
    whole = lambda ks: [(p, os.path.getsize(p)) for k in ks for p in files(k)]
    if task == "load":
        return whole(["amr", "hydro", "grav"])
    if task == "stats":
        return whole(["amr", "hydro", "grav", "part"])
    share = 2 if task == "phase" else 1
    return whole(["amr"]) + [
        (p, os.path.getsize(p) * share // nvar) for p in files("hydro")
    ]


def floor(jobs):
    """(wall, CPU) seconds for THREADS threads to read `jobs` from the page
    cache."""
    jobs = sorted(jobs, key=lambda j: -j[1])
    nxt = [0]
    lock = threading.Lock()

    def worker():
        buf = bytearray(1 << 20)
        mv = memoryview(buf)
        while True:
            with lock:
                if nxt[0] >= len(jobs):
                    return
                path, n = jobs[nxt[0]]
                nxt[0] += 1
            with open(path, "rb", buffering=0) as f:
                left = n
                while left > 0:
                    got = f.readinto(mv[: min(left, len(buf))])
                    if not got:
                        break
                    left -= got

    t = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    ts = [threading.Thread(target=worker) for _ in range(THREADS)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return time.perf_counter() - t, cpu


def fmt_ratio(x, base):
    return f"{x:.2f} s ({x / base:.1f}×)" if x is not None else "—"


def bench(out):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in TASKS:
            jobs = needed_files(out, task)
            nbytes = sum(n for _, n in jobs)
            floor(jobs)  # warm the cache
            res = {tool: [] for tool in TOOLS}
            fl = []
            for rep in range(REPS):
                order = TOOLS[rep % len(TOOLS):] + TOOLS[: rep % len(TOOLS)]
                fl.append(floor(jobs))
                for tool in order:
                    cmd = command(tool, task, out, tmp)
                    if cmd is None:
                        continue
                    r = run(cmd)
                    if r is not None:
                        res[tool].append(r)
            med = lambda xs: statistics.median(xs) if xs else None
            row = {
                "task": task,
                "bytes": nbytes,
                "floor": med([f[0] for f in fl]),
                "floor_cpu": med([f[1] for f in fl]),
            }
            for tool, rs in res.items():
                row[tool] = {
                    "wall": med([r[0] for r in rs]),
                    "rss": med([r[1] for r in rs]),
                    "inproc": med([r[2] for r in rs if r[2] is not None]),
                    "cpu": med([r[3] for r in rs]),
                    "n": len(rs),
                }
            rows.append(row)
            print(json.dumps({"output": out, **row}), file=sys.stderr, flush=True)
    return rows


def table(out, rows):
    """Markdown: per task the floor and each tool's wall time (ratio to
    amrkit; amrkit's to the floor), CPU time (user + system), in-process
    time and peak RSS."""
    print(f"\n{out} ({THREADS} threads, medians of {REPS})\n")
    print("| task | floor wall / CPU | " + " | ".join(TOOLS) + " |")
    print("|" + "---|" * (2 + len(TOOLS)))
    for r in rows:
        ak = r.get("amrkit", {})
        cells = [
            r["task"],
            f"{r['floor']:.3f} s / {r['floor_cpu']:.2f} s ({r['bytes'] / 1e6:.0f} MB)",
        ]
        for tool in TOOLS:
            t = r[tool]
            if t["wall"] is None:
                cells.append("—")
                continue
            if tool == "amrkit":
                s = f"{t['wall']:.2f} s ({t['wall'] / r['floor']:.1f}× floor), CPU {t['cpu']:.2f} s"
            else:
                s = f"{t['wall']:.2f} s"
                if ak.get("wall"):
                    s += f" ({t['wall'] / ak['wall']:.1f}×)"
                s += f", CPU {t['cpu']:.2f} s"
                if ak.get("cpu"):
                    s += f" ({t['cpu'] / ak['cpu']:.1f}×)"
            if t["inproc"] is not None:
                s += f", in-process {t['inproc']:.2f} s"
            s += f", {t['rss']:.0f} MB"
            cells.append(s)
        print("| " + " | ".join(cells) + " |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        tool, task, out, tmp = sys.argv[2:6]
        print(f"INPROC {child(tool, task, out, tmp)}")
        return
    outs = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "../shared/data/ramses/*/output_*")))
    for out in outs:
        table(out, bench(out))


if __name__ == "__main__":
    main()
