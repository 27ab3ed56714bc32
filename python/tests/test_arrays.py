"""What the arrays are: zero-copy, dtypes, coordinates, regions, particles."""

import math

import numpy as np
import pytest

import amrkit
from conftest import close, run_by_name


@pytest.fixture
def snap(particles_run):
    return amrkit.open(particles_run[1])


def test_cell_arrays_are_zero_copy_float64_with_coordinates(snap):
    c = snap.load(["density", "temperature", "potential"])
    assert list(c) == ["x", "y", "z", "level", "dx", "density", "temperature", "potential"]
    n = len(c["x"])
    for k, a in c.items():
        want = np.int32 if k == "level" else np.float64  # the level is an integer
        assert isinstance(a, np.ndarray) and a.dtype == want and a.shape == (n,), k
        # The memory is Rust's, handed over without a copy.
        assert not a.flags.owndata and a.base is not None, k
        assert a.flags.c_contiguous and a.flags.writeable, k
    boxlen = snap.info["boxlen_code"]
    assert np.array_equal(c["dx"], boxlen * 0.5 ** c["level"])
    # Centres sit at (i + 1/2) dx.
    for axis in "xyz":
        i = c[axis] / c["dx"] - 0.5
        assert np.array_equal(i, np.round(i)), axis
    # temperature is p/rho (code velocity^2).
    p = snap.load("pressure")
    assert np.allclose(c["temperature"], p["pressure"] / c["density"], rtol=1e-15)


def test_default_load_has_every_hydro_gravity_and_rt_variable(snap):
    info = snap.info
    c = snap.load()
    want = info["hydro_variables"] + info["gravity_variables"] + info["rt_variables"]
    assert list(c)[5:] == want


def test_max_threads_does_not_change_the_numbers(snap):
    a = snap.load(["density"], max_threads=1)
    b = snap.load(["density"], max_threads=2)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert snap.stats(max_threads=1)["total_mass"] == snap.stats(max_threads=2)["total_mass"]


def test_a_box_region_holds_the_cells_inside_it(snap):
    boxlen = snap.info["boxlen_code"]
    every = snap.load(["density"])
    r = dict(center=([0.4, 0.5, 0.6], "box"), xrange=[-10, 10], yrange=[-5, 15], zrange=[-8, 8])
    c = snap.load(["density"], **r)
    lo = np.array([0.4, 0.5, 0.6]) * boxlen + np.array([-10, -5, -8])
    hi = np.array([0.4, 0.5, 0.6]) * boxlen + np.array([10, 15, 8])
    inside = np.ones(len(every["x"]), bool)
    for d, axis in enumerate("xyz"):
        inside &= (every[axis] >= lo[d]) & (every[axis] < hi[d])
    assert 0 < len(c["x"]) == inside.sum() < len(every["x"])
    assert sorted(c["density"]) == sorted(every["density"][inside])
    # The same region in box units and in kpc (code length here is 1 pc).
    kpc = snap.units["code_to"]["kpc"]
    k = snap.load(["density"], center="0.4,0.5,0.6box", xrange=[-10 * kpc, 10 * kpc],
                  yrange=[-5 * kpc, 15 * kpc], zrange=[-8 * kpc, 8 * kpc], range_unit="kpc")
    assert len(k["x"]) == len(c["x"])


def test_a_sphere_and_lmax(snap):
    boxlen = snap.info["boxlen_code"]
    c = snap.load(["mass"], radius=15, lmax=6)
    assert c["level"].max() == 6
    r2 = sum((c[a] - 0.5 * boxlen) ** 2 for a in "xyz")
    assert (r2 <= 15**2).all() and len(r2) > 0
    st = snap.stats(radius=15, lmax=6)
    assert st["n_leaf_total"] == len(r2)
    assert close(math.fsum(c["mass"]), st["total_mass"], 1e-12)


def test_particles_ids_families_and_regions(snap):
    p = snap.particles()
    assert p["identity"].dtype == np.int64 and p["family"].dtype == np.int8
    assert p["mass"].dtype == np.float64 and not p["mass"].flags.owndata
    assert not p["identity"].flags.owndata
    stars = snap.particles(families="star")
    assert (stars["family"] == 2).all() and len(stars["mass"]) == (p["family"] == 2).sum()
    assert np.array_equal(np.sort(stars["identity"]), np.sort(p["identity"][p["family"] == 2]))
    boxlen = snap.info["boxlen_code"]
    near = snap.particles(fields=["mass"], radius=10)
    assert {"mass", "position_x", "position_y", "position_z"} == set(near)
    r2 = sum((near[f"position_{a}"] - 0.5 * boxlen) ** 2 for a in "xyz")
    all_r2 = sum((p[f"position_{a}"] - 0.5 * boxlen) ** 2 for a in "xyz")
    assert (r2 <= 100).all() and len(r2) == (all_r2 <= 100).sum() > 0
    both = snap.particles(families=["DM", "cloud"], fields="mass")
    assert list(both) == ["mass"]
    assert len(both["mass"]) == ((p["family"] == 1) | (p["family"] == 3)).sum()


def test_units_dict(snap):
    u = snap.units
    assert u["code_to"]["pc"] == pytest.approx(1.0, rel=1e-9)  # unit_l is a parsec
    assert u["code_to_cgs"]["mass"] == pytest.approx(u["unit_d_g_cm3"] * u["unit_l_cm"] ** 3)
    # yt's solar mass (unyt 3.0: 1.98841586e33 g), docs/units.md
    assert u["code_to"]["Msol"] == pytest.approx(u["code_to_cgs"]["mass"] / 1.98841586e33, rel=1e-12)
    assert "cMpc/h" not in u["code_to"]
    cosmo = run_by_name("cosmo")
    assert "cMpc/h" in amrkit.open(cosmo[1]).units["code_to"]


def test_temperature_factors_are_the_one_definition(snap):
    # kernels::temperature: T/mu = (P/rho) (unit_l/unit_t)^2 m_H/k_B, and
    # T = mu T/mu; units names it "K/mu" and "K" (with its "mu"), and the
    # code_to_cgs "temperature" is T/mu: one factor, not two.
    u = snap.units
    m_h, k_b = 1.007947 * 1.660538921e-24, 1.3806488e-16
    t_over_mu = (u["unit_l_cm"] / u["unit_t_s"]) ** 2 * m_h / k_b
    assert u["code_to"]["K/mu"] == pytest.approx(t_over_mu, rel=1e-12)
    assert u["code_to_cgs"]["temperature"] == u["code_to"]["K/mu"]
    assert u["mu"] == 0.6
    assert u["code_to"]["K"] == u["code_to"]["K/mu"] * u["mu"]


def test_help_is_useful():
    assert "simulation folder" in amrkit.open.__doc__
    assert amrkit.open.__text_signature__ == "(path, number=None)"
    assert "radius" in amrkit.Snapshot.load.__text_signature__
    assert "zero" in amrkit.Snapshot.__doc__ or "no\ncopy" in amrkit.Snapshot.__doc__
