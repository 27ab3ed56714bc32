"""amrkit from Python in a minute: open an output, look at it, load a
region, project it and show the map with matplotlib.

    pip install "./python[plot]"        # amrkit with matplotlib
    python python/examples/quickstart.py OUTPUT [PNG]

OUTPUT: a RAMSES output folder (`output_NNNNN`, its `info_NNNNN.txt`, or
the simulation folder: its last output), e.g. the shared test output
`../shared/data/ramses/particles/output_00002` or the demo's
`amrkit-demo/output_00001` (`cargo run --release` writes it). PNG defaults
to quickstart.png. Without matplotlib everything but the picture runs.
"""

import sys

import numpy as np

import amrkit

if len(sys.argv) < 2:
    sys.exit(__doc__.split("\n\n")[1] + "\nusage: python quickstart.py OUTPUT [PNG]")
out = sys.argv[1]
png = sys.argv[2] if len(sys.argv) > 2 else "quickstart.png"
try:
    import matplotlib

    matplotlib.use("Agg")  # no display needed; in Jupyter leave this out
    import matplotlib.pyplot as plt
except ImportError:
    plt = None

s = amrkit.open(out)
info, units = s.info, s.units
print(f"{s.path}: t = {info['time_myr']:.3f} Myr, box {info['boxlen_kpc']:.3f} kpc, "
      f"levels {info['levelmin']}..{info['levelmax']}, {info['ncpu']} CPU files")

# Every leaf cell with density and temperature (NumPy arrays, code units).
cells = s.load(["density", "temperature"])
msol = units["code_to"]["Msol"]
mass = (cells["density"] * cells["dx"] ** 3).sum() * msol
print(f"{len(cells['x'])} leaf cells, gas mass {mass:.4e} Msol")

# The figures of `amrkit stats`, as a dict.
st = s.stats()
for fam, p in st.get("particles", {}).items():
    print(f"{fam:6s} {p['count']:6d} particles, {p['total_mass'] * msol:.4e} Msol")

# A sphere of 20 pc around the centre: its mass-weighted temperature.
inner = s.load(["mass", "temperature"], radius=20, range_unit="pc")
t_k = np.average(inner["temperature"], weights=inner["mass"]) * units["code_to"]["K"]
print(f"inner 20 pc: {len(inner['x'])} cells, mass-weighted T = {t_k:.4e} K")

# Surface density along z, in Msol/pc^2, drawn with its physical extent.
sigma = s.project("density", axis="z", res=512) * units["code_to"]["Msol/pc^2"]
box_kpc = info["boxlen_kpc"]
if plt is None:
    print('no picture: matplotlib is not installed (pip install "./python[plot]", '
          "or pip install matplotlib)")
    sys.exit(0)
fig, ax = plt.subplots(figsize=(6, 5))
im = ax.imshow(np.log10(sigma), origin="lower", extent=[0, box_kpc, 0, box_kpc], cmap="viridis")
ax.set_xlabel("x [kpc]")
ax.set_ylabel("y [kpc]")
ax.set_title(f"surface density, t = {info['time_myr']:.2f} Myr")
fig.colorbar(im, ax=ax, label=r"log$_{10}$ $\Sigma$ [M$_\odot$/pc$^2$]")
fig.savefig(png, dpi=100, bbox_inches="tight")
print(f"wrote {png} ({sigma.shape[1]}x{sigma.shape[0]} map)")
