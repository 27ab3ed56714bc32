"""amrkit's Python API against reference.json (yt 4.4.3, osyris, an
independent reader) for every shared real output, to 1e-10."""

import math

import numpy as np
import pytest

import amrkit
from conftest import ALL, FLAT, READ, RUNS, close, need, runs_or_missing

# reference.json's (yt) names -> amrkit's, and where amrkit reports them.
FIELDS = [
    ("Density", "density", "hydro"),
    ("x-velocity", "velocity_x", "hydro"),
    ("y-velocity", "velocity_y", "hydro"),
    ("z-velocity", "velocity_z", "hydro"),
    ("Pressure", "pressure", "hydro"),
    ("Potential", "potential", "gravity"),
    ("x-acceleration", "acceleration_x", "gravity"),
    ("y-acceleration", "acceleration_y", "gravity"),
    ("z-acceleration", "acceleration_z", "gravity"),
]
STATS = ["min", "max", "volume_weighted_mean", "mass_weighted_mean"]


@runs_or_missing(ALL)
def test_info_and_units_match_reference(run):
    name, out, ref = need(run)
    s = amrkit.open(out)
    info = s.info
    for k in ("ncpu", "ndim", "levelmin", "levelmax"):
        assert info[k] == ref["info"][k], (name, k)
    assert close(info["boxlen_code"], ref["info"]["boxlen"], 1e-12)
    assert close(info["time_code"], ref["info"]["time_code"], 1e-12)
    u = s.units
    assert close(u["unit_l_cm"], ref["info"]["unit_l_cm"], 1e-12)
    assert close(u["unit_d_g_cm3"], ref["info"]["unit_d_g_cm3"], 1e-12)
    assert close(u["unit_t_s"], ref["info"]["unit_t_s"], 1e-12)
    checked = 0
    for q, want in ref.get("code_to_cgs", {}).items():
        if q in u["code_to_cgs"]:
            assert close(u["code_to_cgs"][q], want, 1e-10), (name, q)
            checked += 1
    assert checked >= 5, (name, sorted(ref.get("code_to_cgs", {})))


@runs_or_missing(ALL)
def test_stats_match_reference(run):
    name, out, ref = need(run)
    st = amrkit.open(out).stats()
    assert st["n_leaf_total"] == ref["cells"]["n_leaf_total"]
    for level, n in ref["cells"]["leaf_cells_per_level"].items():
        assert st["leaf_cells_per_level"][level] == n, (name, level)
    assert close(st["total_mass"], ref["gas"]["total_mass_code"], 1e-10)
    compared = 0
    for yt, ours, group in FIELDS:
        want = ref.get(group, {}).get(yt, {}).get("code")
        if want is None or ours not in st.get(group, {}):
            continue
        span = want["max"] - want["min"]
        for k in STATS:
            got = st[group][ours][k]
            assert close(got, want[k], 1e-10, span), (name, ours, k, got, want[k])
        compared += 1
    assert compared >= 3, name


@runs_or_missing(READ)
def test_loaded_cells_match_reference(run):
    """The arrays themselves: counts per level, gas mass from density and
    dx, and the density extremes."""
    name, out, ref = need(run)
    c = amrkit.open(out).load(["density", "mass"])
    levels, counts = np.unique(c["level"], return_counts=True)
    want = {int(k): v for k, v in ref["cells"]["leaf_cells_per_level"].items()}
    assert dict(zip(levels.astype(int).tolist(), counts.tolist())) == want
    m = math.fsum(c["density"] * c["dx"] ** 3)
    assert close(m, ref["gas"]["total_mass_code"], 1e-10)
    assert close(math.fsum(c["mass"]), ref["gas"]["total_mass_code"], 1e-10)
    rho = ref["hydro"]["Density"]["code"]
    assert c["density"].min() == pytest.approx(rho["min"], rel=1e-10)
    assert c["density"].max() == pytest.approx(rho["max"], rel=1e-10)
    boxlen = ref["info"]["boxlen"]
    for axis in "xyz":
        assert 0 < c[axis].min() and c[axis].max() < boxlen


def test_particles_match_reference(particles_run):
    name, out, ref = particles_run
    s = amrkit.open(out)
    p = s.particles()
    assert len(p["mass"]) == ref["particles"]["n_total"]
    assert close(math.fsum(p["mass"]), ref["particles"]["total_mass_code"], 1e-10)
    for fam, want in ref["particles"]["families"].items():
        q = s.particles(families=[fam], fields=["mass", "velocity_x"])
        assert sorted(q) == ["mass", "velocity_x"]
        assert len(q["mass"]) == want["count"], fam
        assert close(math.fsum(q["mass"]), want["total_mass_code"], 1e-10), fam
        assert close(q["velocity_x"].mean(), want["mean_velocity_code"][0], 1e-10, 1.0), fam
    st = s.stats()
    assert st["sinks"]["count"] == ref["sinks"]["count"]
    assert close(st["sinks"]["total_mass"], ref["sinks"]["total_msink_code"], 1e-10)


# yt's field name in the image/profile file names -> amrkit's variable.
FLAT_VARS = {"density": "density", "x_velocity": "velocity_x",
             "y_velocity": "velocity_y", "pressure": "pressure"}


@runs_or_missing(FLAT)
def test_2d_images_and_1d_profiles_match_reference(run):
    """A 2D output's map is its image (area average of the cells over each
    pixel), a 1D output's a profile (a 1-D array): equal to the shared
    images and profiles, which sample the finest cells exactly."""
    name, out, ref = need(run)
    s = amrkit.open(out)
    ndim = ref["info"]["ndim"]
    assert s.info["ndim"] == ndim
    n = 0
    for file in ref["maps"]:
        kind, rest = file.split("_", 1)
        field, res = rest[: -len(".npy")].rsplit("_", 1)
        want = np.load(out.parent / file)
        got = s.project(FLAT_VARS[field], axis="z", res=int(res), max_threads=2)
        assert got.shape == want.shape, (name, file, got.shape)
        assert np.abs(got - want).max() <= 1e-12 * np.abs(want).max(), (name, file)
        n += 1
    assert n > 0, name
    with pytest.raises(amrkit.ArgumentError):
        s.project("density", axis="x")


@runs_or_missing(FLAT)
def test_2d_and_1d_cells_have_ndim_coordinates(run):
    name, out, ref = need(run)
    ndim = ref["info"]["ndim"]
    c = amrkit.open(out).load(["density"])
    axes = "xyz"[:ndim]
    assert all(a in c for a in axes) and all(a not in c for a in "xyz"[ndim:]), sorted(c)
    m = math.fsum(c["density"] * c["dx"] ** ndim)
    assert close(m, ref["gas"]["total_mass_code"], 1e-10)
    boxlen = ref["info"]["boxlen"]
    cells = amrkit.open(out).info["box_coarse_cells"]
    for k, a in enumerate(axes):
        assert 0 < c[a].min() and c[a].max() < boxlen * cells[k]


RT = [r for r in RUNS if "rt" in r[2]]


@runs_or_missing(RT)
def test_rt_variables_match_reference(run):
    """RAMSES-RT outputs: ``stats()["rt"]`` has every variable of the rt
    descriptor with yt's figures (1e-10 of the range), ``load`` gives them
    as arrays, and ``info`` the ``info_rt`` units and groups."""
    name, out, ref = need(run)
    s = amrkit.open(out)
    rt = ref["rt"]
    assert s.info["rt_variables"] == rt["descriptor"]
    assert s.info["rt"]["ngroups"] == rt["info_rt"]["nGroups"]
    assert close(s.info["rt"]["unit_pf"], rt["info_rt"]["unit_pf"], 1e-12)
    st = s.stats()
    assert sorted(st["rt"]) == sorted(rt["descriptor"])
    for v in rt["descriptor"]:
        want = rt["fields"][v]["code"]
        span = want["max"] - want["min"]
        for k in STATS:
            assert close(st["rt"][v][k], want[k], 1e-10, span), (name, v, k)
    c = s.load(rt["descriptor"][:2])
    first = rt["fields"][rt["descriptor"][0]]["code"]
    assert c[rt["descriptor"][0]].max() == pytest.approx(first["max"], rel=1e-12)
    assert c[rt["descriptor"][0]].min() == pytest.approx(first["min"], rel=1e-12)
    assert len(c[rt["descriptor"][1]]) == ref["cells"]["n_leaf_total"]
