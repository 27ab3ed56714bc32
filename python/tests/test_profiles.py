"""Profiles and phase diagrams from Python: the CLI's numbers, and numpy's
binning of the loaded cells with the stated definitions.

The edge rule: a cell whose binned coordinate lies within 1e-9 (relative)
of an edge may land in either neighbouring bin; the numpy references put
such cells where amrkit put them only when amrkit's choice is a neighbour,
and every other cell strictly by the formula.
"""

import json

import numpy as np
import pytest

import amrkit
from conftest import READ, need, run_by_name, runs_or_missing

CENTER = [0.5, 0.5, 0.5]


def cells(out):
    c = amrkit.open(out).load(["density", "pressure", "velocity_x"])
    return c


@runs_or_missing(READ)
def test_profile_equals_the_cli_json(run, cli, tmp_path):
    name, out, ref = need(run)
    if ref["info"]["ndim"] != 3:
        pytest.skip("3D outputs")
    box = ref["info"]["boxlen"]
    s = amrkit.open(out)
    f = tmp_path / "p.json"
    c = ",".join(repr(0.5 * box) for _ in range(3))
    cli("profile", out, "--var", "density,temperature,velocity_x", "--center", c,
        "--radius", repr(0.45 * box), "--cumulative", "--json", f)
    want = json.loads(f.read_text())
    got = s.profile(["density", "temperature", "velocity_x"], center=[0.5 * box] * 3,
                    radius=0.45 * box, cumulative=True)
    assert np.array_equal(got["edges"], np.array(want["edges"]))
    assert list(got["bins"]["count"]) == want["bins"]["count"]
    for k in ("weight", "mass", "mass_enclosed"):
        w = np.array([np.nan if v is None else v for v in want["bins"][k]])
        assert np.array_equal(got["bins"][k], w, equal_nan=True), k
    for v in ("density", "temperature", "velocity_x"):
        for k in ("mean", "std", "cumulative_mean"):
            w = np.array([np.nan if x is None else x for x in want["bins"][v][k]])
            assert np.array_equal(got["bins"][v][k], w, equal_nan=True), (name, v, k)
    assert got["mu"] == 0.6 and want["mu"] == 0.6


def _ref_profile(c, center, R, nbins, box):
    """numpy: minimum-image radii, log edges from the smallest cell, the
    weighted means and std by np.histogram over the cells with r < R."""
    x = np.stack([c["x"], c["y"], c["z"]], axis=1) - np.array(center)
    x -= box * np.round(x / box)
    r = np.sqrt((x * x).sum(axis=1))
    sel = r <= R
    r0 = c["dx"][sel].min()
    edges = np.exp(np.linspace(np.log(r0), np.log(R), nbins + 1))
    edges[0], edges[-1] = r0, R
    m = c["density"] * c["dx"] ** 3
    inb = sel & (r >= r0) & (r < R)
    return r, edges, m, inb


@pytest.mark.parametrize("name", ["gravity", "sedov3d"])
def test_profile_matches_numpy_histograms(name):
    run = run_by_name(name)
    if run is None:
        pytest.skip(f"{name} not found")
    _, out, ref = run
    box = ref["info"]["boxlen"]
    R = 0.45 * box
    c = cells(out)
    got = amrkit.open(out).profile(["density", "velocity_x"], center=CENTER, radius=R)
    r, edges, m, inb = _ref_profile(c, [0.5 * box] * 3, R, 64, box)
    assert np.allclose(got["edges"], edges, rtol=1e-13, atol=0)
    near = np.zeros(r.shape, bool)
    for e in edges:
        near |= np.abs(r - e) <= 1e-9 * e
    if near[inb].any():
        pytest.skip("cells within 1e-9 of an edge: the Rust tests cover those")
    cnt, _ = np.histogram(r[inb], bins=edges)
    assert list(got["bins"]["count"]) == list(cnt)
    # Weighted sums by np.bincount on np.histogram's bins (numpy's weighted
    # histogram differences a cumulative sum, which loses small sums).
    k = np.searchsorted(edges, r[inb], side="right") - 1
    assert np.array_equal(np.bincount(k, minlength=64), cnt)
    bsum = lambda w: np.bincount(k, weights=w, minlength=64)
    mass = bsum(m[inb])
    assert np.allclose(got["bins"]["mass"], mass, rtol=1e-12, atol=0)
    for v in ("density", "velocity_x"):
        f = c[v][inb]
        swf, swa = bsum(m[inb] * f), bsum(m[inb] * np.abs(f))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = swf / mass
            std = np.sqrt(bsum(m[inb] * (f - mean[k]) ** 2) / mass)
            size = swa / mass
        ok = cnt > 0
        assert np.all(np.isnan(got["bins"][v]["mean"][~ok]))
        assert np.all(np.abs(got["bins"][v]["mean"][ok] - mean[ok]) <= 1e-12 * size[ok]), v
        assert np.all(np.abs(got["bins"][v]["std"][ok] - std[ok]) <= 1e-12 * size[ok]), v
    # Mass conservation: bins + inside r0 + on R = every cell within R.
    total = m[r <= R].sum()
    parts = got["bins"]["mass"].sum() + got["inside_rmin"]["mass"] + got["on_radius"]["mass"]
    assert abs(parts - total) <= 1e-12 * total


@pytest.mark.parametrize("name", ["gravity", "sedov3d"])
def test_phase_matches_numpy_and_the_cli_npy(name, cli, tmp_path):
    run = run_by_name(name)
    if run is None:
        pytest.skip(f"{name} not found")
    _, out, ref = run
    s = amrkit.open(out)
    h = s.phase("density", "pressure")
    npy = tmp_path / "h.npy"
    cli("phase", out, "--x", "density", "--y", "pressure", "--out", npy)
    assert h["values"].tobytes() == np.load(npy).tobytes()
    c = cells(out)
    m = c["density"] * c["dx"] ** 3
    n = 128
    idx = []
    for v in ("density", "pressure"):
        t = np.log10(c[v])
        ta, tb = t.min(), t.max()
        i = np.minimum(np.floor((t - ta) / (tb - ta) * n), n - 1).astype(int)
        idx.append(i)
        edges = ta + (tb - ta) * np.arange(n + 1) / n
        near = (np.abs(t[:, None] - edges[None, :]) <= 1e-9 * max(tb - ta, 1.0)).any(axis=1)
        # The range's own ends are defined (bins 0 and N - 1).
        if (near & (t != ta) & (t != tb)).any():
            pytest.skip("cells within 1e-9 of an edge: the Rust tests cover those")
    want = np.bincount(idx[1] * n + idx[0], weights=m, minlength=n * n).reshape(n, n)
    assert np.allclose(h["values"], want, rtol=1e-12, atol=1e-12 * want.max())
    assert abs(h["values"].sum() - m.sum()) <= 1e-12 * m.sum()
    assert h["counts"].sum() == len(m) and h["cells_outside_range"] == 0


def test_bad_requests_are_argument_errors():
    run = run_by_name("gravity")
    if run is None:
        pytest.skip("gravity not found")
    s = amrkit.open(run[1])
    with pytest.raises(amrkit.ArgumentError, match="densty"):
        s.profile("densty", radius=0.2)
    with pytest.raises(amrkit.ArgumentError, match="smaller than --radius"):
        s.profile("density", radius=0.2, rmin=0.3)
    with pytest.raises(amrkit.ArgumentError, match="at least 1"):
        s.profile("density", radius=0.2, bins=0)
    with pytest.raises(amrkit.ArgumentError, match="empty selection"):
        s.profile("density", center=[0.5, 0.5, 0.5], radius=1e-4)
    with pytest.raises(amrkit.ArgumentError, match="positive"):
        s.phase("density", "pressure", xrange=[-1, 10])
