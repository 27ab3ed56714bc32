"""The Python API gives the CLI's numbers: maps equal to `amrkit project`'s
.npy bit for bit, stats and info dicts equal to `--json`."""

import json

import numpy as np
import pytest

import amrkit
from conftest import READ, need, run_by_name, runs_or_missing

MAPS = [
    ("proj_density_z_256.npy", "density", None),
    ("proj_massweighted_pressure_z_256.npy", "pressure", "mass"),
    ("proj_massweighted_x_velocity_z_256.npy", "velocity_x", "mass"),
]


@runs_or_missing(READ)
def test_maps_equal_the_cli_npy_bit_for_bit(run, cli, tmp_path):
    name, out, ref = need(run)
    s = amrkit.open(out)
    for _, var, weight in MAPS:
        npy = tmp_path / f"{var}.npy"
        cli("project", out, "--var", var, "--weight", weight or "none", "--res", 256, "--out", npy)
        want = np.load(npy)
        got = s.project(var, axis="z", res=256, weight=weight, max_threads=2)
        assert got.dtype == np.float64 and got.shape == want.shape == (256, 256)
        assert got.tobytes() == want.tobytes(), (name, var)


@runs_or_missing(READ)
def test_maps_match_the_shared_reference_maps(run):
    """The shared .npy maps (exact overlap, independent of amrkit) to 1e-12
    of their maximum, as the Rust tests check them."""
    name, out, ref = need(run)
    s = amrkit.open(out)
    n = 0
    for file, var, weight in MAPS:
        path = out.parent / file
        if not path.is_file():
            continue
        want = np.load(path)
        got = s.project(var, res=want.shape[1], weight=weight)
        assert np.abs(got - want).max() <= 1e-12 * np.abs(want).max(), (name, file)
        n += 1
    assert n > 0, name


def test_a_list_of_variables_gives_a_dict_of_the_same_maps(particles_run):
    name, out, ref = particles_run
    s = amrkit.open(out)
    both = s.project(["density", "temperature"], axis="x", res=64, weight="mass", max_threads=2)
    assert sorted(both) == ["density", "temperature"]
    one = s.project("temperature", axis="x", res=64, weight="mass", max_threads=2)
    assert both["temperature"].tobytes() == one.tobytes()


def test_region_map_and_stats_equal_the_cli(cli, tmp_path):
    name, out, ref = run_by_name("particles")
    s = amrkit.open(out)
    region = dict(center=([0.5, 0.45, 0.5], "box"), xrange=[-20, 20], yrange=[-10, 25], zrange=[-15, 15],
                  range_unit="pc")
    args = ["--center", "0.5,0.45,0.5box", "--xrange=-20,20", "--yrange=-10,25", "--zrange=-15,15",
            "--range-unit", "pc"]
    npy = tmp_path / "zoom.npy"
    cli("project", out, "--var", "density", "--res", 100, *args, "--out", npy)
    got = s.project("density", res=100, max_threads=2, **region)
    assert got.tobytes() == np.load(npy).tobytes()
    want = json.loads(cli("stats", out, "--json", *args))
    assert s.stats(max_threads=2, **region) == want
    assert 0 < want["n_leaf_total"] < ref["cells"]["n_leaf_total"]
    sphere = json.loads(cli("stats", out, "--json", "--radius", "20", "--lmax", "6"))
    assert s.stats(lmax=6, radius=20, max_threads=2) == sphere


@runs_or_missing(READ)
def test_stats_and_info_equal_the_cli_json(run, cli):
    name, out, ref = need(run)
    s = amrkit.open(out)
    assert s.stats(max_threads=2) == json.loads(cli("stats", out, "--json"))
    assert s.stats(unit="auto", max_threads=2) == json.loads(cli("stats", out, "--json", "--unit", "auto"))
    assert s.info == json.loads(cli("info", out, "--json"))


def test_open_a_simulation_folder_and_an_output_number(particles_run):
    name, out, ref = particles_run
    by_number = amrkit.open(out.parent, int(out.name.split("_")[1]))
    last = amrkit.open(out.parent)
    assert by_number.path == last.path == str(out)
    assert by_number.info == amrkit.open(out).info


def test_export_vtk_writes_the_cli_files(particles_run, cli, tmp_path):
    name, out, ref = particles_run
    rep = amrkit.open(out).export_vtk(tmp_path / "py" / "cells", scalars=["density", "temperature"],
                                      vector="velocity", lmin=6, max_threads=2)
    cli("export-vtk", out, "--scalars", "density,temperature", "--vector", "velocity", "--lmin", 6,
        "--out", tmp_path / "cli" / "cells")
    files = [p.split("/")[-1] for p in rep["files"]]
    assert files == ["cells_level_06.vtu", "cells_level_07.vtu", "cells.vtm"]
    per_level = ref["cells"]["leaf_cells_per_level"]
    assert rep["cells"] == per_level["6"] + per_level["7"]
    for f in files[:-1]:
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    assert rep["bytes"] == sum((tmp_path / "py" / f).stat().st_size for f in files)


RT = [r for r in READ if "rt" in r[2]]


@runs_or_missing(RT)
def test_rt_maps_equal_the_cli_and_a_numpy_deposit_of_the_cells(run, cli, tmp_path):
    """RAMSES-RT variables (no shared reference maps): the Python map of
    each group's photon_flux_GG and one flux component equals the CLI's
    .npy bit for bit, and a numpy deposit of the loaded cells (each cell's
    value × dz added to the pixels it covers; at 2^levelmax pixels every
    pixel lies in one cell column) to 1e-12 of the map's maximum."""
    name, out, ref = need(run)
    s = amrkit.open(out)
    res = 2 ** ref["info"]["levelmax"]
    boxlen = ref["info"]["boxlen"]
    for var in [v for v in ref["rt"]["descriptor"] if v.endswith("_x") or v.count("_") == 2]:
        npy = tmp_path / f"{var}.npy"
        cli("project", out, "--var", var, "--res", res, "--out", npy)
        want = np.load(npy)
        got = s.project(var, axis="z", res=res, max_threads=2)
        assert got.tobytes() == want.tobytes(), (name, var)
        c = s.load(var)
        dep = np.zeros((res, res))
        px = boxlen / res
        for x, y, dx, f in zip(c["x"], c["y"], c["dx"], c[var]):
            i0, i1 = int(round((x - dx / 2) / px)), int(round((x + dx / 2) / px))
            j0, j1 = int(round((y - dx / 2) / px)), int(round((y + dx / 2) / px))
            dep[j0:j1, i0:i1] += f * dx
        assert np.abs(got - dep).max() <= 1e-12 * np.abs(dep).max(), (name, var)
