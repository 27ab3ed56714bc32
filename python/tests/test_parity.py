"""What the CLI gives, Python gives too (issue 26): star ages, sinks,
clumps, levels as integers, lengths with units as yt's tuples, windows
integrated exactly, outputs opened by their info file."""

import json
import shutil

import numpy as np
import pytest

import amrkit
from conftest import run_by_name


def test_levels_are_integers(particles_run):
    _, out, ref = particles_run
    c = amrkit.open(out).load("density")
    assert c["level"].dtype == np.int32
    assert sorted(set(c["level"].tolist())) == ref["cells"]["levels_with_leaf_cells"]


def test_star_ages_as_the_cli(particles_run, cli):
    _, out, _ = particles_run
    s = amrkit.open(out)
    want = json.loads(cli("particles", out, "--json"))["star"]["age_myr"]
    p = s.particles()
    stars = p["family"] == 2
    ages = p["age_myr"]
    assert np.isnan(ages[~stars]).all() and np.isfinite(ages[stars]).all()
    assert ages[stars].min() == pytest.approx(want["min"], rel=1e-12)
    assert ages[stars].max() == pytest.approx(want["max"], rel=1e-12)
    # Asked for alone, or with a family filter: only what was named.
    only = s.particles(families="star", fields=["mass", "age_myr"])
    assert list(only) == ["mass", "age_myr"]
    assert np.array_equal(np.sort(only["age_myr"]), np.sort(ages[stars]))
    assert list(s.particles(fields="age_myr")) == ["age_myr"]


def test_sinks_as_the_cli(particles_run, cli):
    _, out, _ = particles_run
    sinks = amrkit.open(out).sinks()
    st = json.loads(cli("stats", out, "--json"))["sinks"]
    assert len(sinks["msink"]) == st["count"] > 0
    assert sinks["msink"].sum() == pytest.approx(st["total_mass"], rel=1e-12)


def test_clumps_as_the_cli(cli):
    _, out, _ = run_by_name("clumps")
    c = amrkit.open(out).clumps(top=5)
    want = json.loads(cli("clumps", out, "--json", "--top", 5))
    assert c["clumps"] == want["clumps"] and len(c["clumps"]) == 5
    assert c["n_clumps"] == want["n_clumps"]


def test_lengths_take_units_as_yt(particles_run, cli):
    _, out, _ = particles_run
    s = amrkit.open(out)
    a = s.stats(center=[50, 50, 40], radius=10)
    assert a["n_leaf_total"] > 0
    assert s.stats(center=([0.5, 0.5, 0.4], "box"), radius=(0.1, "box")) == a
    assert s.stats(center="0.5,0.5,0.4box", radius="0.1box") == a
    assert a == json.loads(cli("stats", out, "--json", "--center", "50,50,40", "--radius", 10))
    with pytest.raises(amrkit.ArgumentError, match="furlongs.*pc, kpc"):
        s.load("density", radius=(3, "furlongs"))
    with pytest.raises(amrkit.ArgumentError, match="outside the box"):
        s.load("density", center=[500, 50, 50], radius=1)


def test_window_maps_equal_the_cli(particles_run, cli, tmp_path):
    """A zoomed map: Python's equals the CLI's, and the exact integral keeps
    the edge rows (before, cells straddling the window edge were dropped)."""
    _, out, _ = particles_run
    s = amrkit.open(out)
    npy = tmp_path / "zoom.npy"
    args = ["--xrange=-10,10", "--yrange=-10,10", "--res", 64]
    cli("project", out, "--var", "density", *args, "--out", npy)
    got = s.project("density", xrange=[-10, 10], yrange=[-10, 10], res=64, max_threads=2)
    assert got.tobytes() == np.load(npy).tobytes()
    # Edge rows are full columns: within 5 % of their neighbours.
    for edge, inner in ((got[0], got[1]), (got[-1], got[-2]), (got[:, 0], got[:, 1])):
        assert np.all(np.abs(edge / inner - 1) < 0.05)


def test_outputs_open_by_info_file_or_renamed(particles_run, tmp_path):
    _, out, _ = particles_run
    want = amrkit.open(out).info["ncpu"]
    assert amrkit.open(out / "info_00002.txt").info["ncpu"] == want
    renamed = tmp_path / "snapshot_two"
    shutil.copytree(out, renamed)
    assert amrkit.open(renamed).stats()["total_mass"] == amrkit.open(out).stats()["total_mass"]
    with pytest.raises(amrkit.FileError, match="holds output 2"):
        amrkit.open(out.parent / "output_00009")
